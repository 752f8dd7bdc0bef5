//! The stores' clients (`object_store`), on one tokio runtime made on first use.

use super::{Ask, Found};
use crate::config::location::{Location, Scheme};
use crate::error::{StoreError, StoreFailure};
use crate::manifest::object::StoreObject;
use futures::{StreamExt, TryStreamExt};
use object_store::path::Path as Key;
use object_store::{ClientOptions, ObjectMeta, ObjectStore, RetryConfig};
use std::collections::HashMap;
use std::sync::{Arc, Mutex, OnceLock};
use std::time::{Duration, Instant};

/// How many folders of a location are listed at once.
const LISTS_AT_ONCE: usize = 8;

/// How many objects are read at once for their content digests.
const READS_AT_ONCE: usize = 8;

/// The runtime and a client per bucket.
#[derive(Default)]
pub(super) struct Clients {
    runtime: OnceLock<Result<tokio::runtime::Runtime, String>>,
    clients: Mutex<HashMap<String, Arc<dyn ObjectStore>>>,
}

impl Clients {
    pub(super) fn list(
        &self,
        host: &crate::collect::Host,
        cache: &std::path::Path,
        ask: &Ask,
        each: &mut dyn FnMut(Vec<Found>) -> Result<(), StoreError>,
    ) -> Result<(), StoreError> {
        let location = ask.location;
        let runtime = self
            .runtime
            .get_or_init(|| {
                tokio::runtime::Builder::new_multi_thread()
                    .worker_threads(host.threads.clamp(2, 16))
                    .enable_all()
                    .build()
                    .map_err(|e| e.to_string())
            })
            .as_ref()
            .map_err(|reason| StoreError::Setup {
                location: location.url.clone(),
                reason: reason.clone(),
            })?;
        // TLS on ring, installed once for the process (a library user may have installed
        // another provider already, which then stays). rustls deprecates ring's provider for
        // its lack of post-quantum key exchange; aws-lc-rs has it, at the cost of a C build
        // longer than the rest of provbase's. Revisit when ring gains it.
        #[allow(deprecated)]
        let _ = rustls::crypto::ring::default_provider().install_default();
        let store = self.client(host, location, ask.deadline)?;
        let secrets = Secrets::of(host);
        let started = Instant::now();
        let reads = Reads {
            store: store.clone(),
            location,
            secrets: &secrets,
            digests: ask.sha256.then_some(ask.keep.then_some(cache)),
            head: ask.head,
        };
        let work = listed(&reads, each);
        // the client's own retries stop at the deadline and say what they met; this timer,
        // a little later, is the backstop for anything that would wait past it
        let backstop = ask.deadline + ask.deadline / 4 + Duration::from_secs(1);
        runtime
            .block_on(async {
                match tokio::time::timeout(backstop, work).await {
                    Ok(r) => r,
                    Err(_) => Err(StoreError::Deadline {
                        location: location.url.clone(),
                        after: ask.deadline,
                        last: None,
                    }),
                }
            })
            .map_err(|e| match e {
                // a request that gave up because the location's time ran out says so
                StoreError::Request { reason, .. }
                    if started.elapsed() >= ask.deadline.mul_f64(0.9) =>
                {
                    StoreError::Deadline {
                        location: location.url.clone(),
                        after: ask.deadline,
                        last: Some(reason),
                    }
                }
                e => e,
            })
    }

    /// The bucket's client, made once from the host's settings for that store.
    fn client(
        &self,
        host: &crate::collect::Host,
        location: &Location,
        deadline: Duration,
    ) -> Result<Arc<dyn ObjectStore>, StoreError> {
        let mut clients = self.clients.lock().unwrap_or_else(|e| e.into_inner());
        let id = format!("{}\0{}", location.base, deadline.as_millis());
        if let Some(c) = clients.get(&id) {
            return Ok(c.clone());
        }
        let vars: Vec<(String, String)> = host
            .vars()
            .into_iter()
            .filter_map(|(k, v)| Some((k, v.into_string().ok()?)))
            .collect();
        let setting = |prefix: &'static str| {
            vars.iter()
                .filter(move |(k, _)| k.starts_with(prefix))
                .map(|(k, v)| (k.to_ascii_lowercase(), v.clone()))
        };
        // each request gives up within the location's deadline; a refused connection or a
        // server error is retried with backoff until then
        let options = ClientOptions::new()
            .with_timeout(deadline.min(Duration::from_secs(120)))
            .with_connect_timeout(deadline.min(Duration::from_secs(10)));
        let retry = RetryConfig {
            retry_timeout: deadline,
            max_retries: 10,
            ..RetryConfig::default()
        };
        // an endpoint the settings name as plain HTTP (a local server, an emulator) is allowed
        let plain_http = |names: &[&str]| {
            vars.iter()
                .any(|(k, v)| names.contains(&k.as_str()) && v.starts_with("http://"))
        };
        let setup = |e: object_store::Error| StoreError::Setup {
            location: location.url.clone(),
            reason: Secrets::of(host).scrub(&e.to_string()),
        };
        let store: Arc<dyn ObjectStore> = match location.scheme {
            Scheme::S3 => {
                use object_store::aws::{AmazonS3Builder, AmazonS3ConfigKey};
                // the profile's settings first, the environment's over them, as the AWS CLI
                let mut settings: Vec<(String, String)> = Vec::new();
                let keys_in_env = vars.iter().any(|(k, _)| k == "AWS_ACCESS_KEY_ID");
                if let Some(profile) = super::AwsProfile::of(&vars) {
                    if let Some(how) = profile.unsupported.as_ref().filter(|_| !keys_in_env) {
                        return Err(StoreError::Setup {
                            location: location.url.clone(),
                            reason: format!(
                                "the AWS profile `{}` gets its credentials by `{how}`, which provbase does not follow: give them in the environment (`aws configure export-credentials --profile {} --format env`)",
                                profile.name, profile.name
                            ),
                        });
                    }
                    settings.extend(
                        profile
                            .settings
                            .into_iter()
                            .filter(|(k, _)| {
                                // keys from the environment are never mixed with a profile's
                                !keys_in_env
                                    || !matches!(
                                        *k,
                                        "aws_access_key_id" | "aws_secret_access_key" | "aws_session_token"
                                    )
                            })
                            .map(|(k, v)| (k.to_owned(), v)),
                    );
                }
                settings.extend(setting("AWS_"));
                let plain = settings.iter().any(|(k, v)| {
                    matches!(k.as_str(), "aws_endpoint_url_s3" | "aws_endpoint_url" | "aws_endpoint")
                        && v.starts_with("http://")
                });
                let mut b = AmazonS3Builder::new()
                    .with_client_options(options.with_allow_http(plain))
                    .with_http_connector(Checksums)
                    .with_retry(retry);
                for (k, v) in settings {
                    if let Ok(key) = k.parse::<AmazonS3ConfigKey>() {
                        b = b.with_config(key, v);
                    }
                }
                Arc::new(b.with_url(&location.base).build().map_err(setup)?)
            }
            Scheme::Gcs => {
                use object_store::gcp::{GoogleCloudStorageBuilder, GoogleConfigKey};
                let plain = plain_http(&["GOOGLE_BASE_URL"]);
                let mut b = GoogleCloudStorageBuilder::new()
                    .with_client_options(options.with_allow_http(plain))
                    .with_http_connector(Checksums)
                    .with_retry(retry);
                if let Some((_, path)) = vars.iter().find(|(k, _)| k == "SERVICE_ACCOUNT") {
                    b = b.with_config(GoogleConfigKey::ServiceAccount, path.clone());
                }
                for (k, v) in setting("GOOGLE_") {
                    if let Ok(key) = k.parse::<GoogleConfigKey>() {
                        b = b.with_config(key, v);
                    }
                }
                Arc::new(b.with_url(&location.base).build().map_err(setup)?)
            }
            Scheme::Azure => {
                use object_store::azure::{AzureConfigKey, MicrosoftAzureBuilder};
                let mut b = MicrosoftAzureBuilder::new()
                    .with_client_options(options)
                    .with_http_connector(Checksums)
                    .with_retry(retry);
                for (k, v) in setting("AZURE_") {
                    if let Ok(key) = k.parse::<AzureConfigKey>() {
                        b = b.with_config(key, v);
                    }
                }
                if let Some((_, endpoint)) = vars.iter().find(|(k, _)| k == "MSI_ENDPOINT") {
                    b = b.with_msi_endpoint(endpoint.clone());
                }
                Arc::new(b.with_url(&location.base).build().map_err(setup)?)
            }
            Scheme::Http => {
                let options = options.with_allow_http(location.base.starts_with("http://"));
                Arc::new(
                    object_store::http::HttpBuilder::new()
                        .with_client_options(options)
                        .with_http_connector(Checksums)
                        .with_retry(retry)
                        .with_url(&location.base)
                        .build()
                        .map_err(setup)?,
                )
            }
        };
        clients.insert(id, store.clone());
        Ok(store)
    }
}

/// The values of the host's store settings that are secrets, to be cut from any message a
/// store's client gives (they would otherwise only be scrubbed by shape).
struct Secrets(Vec<String>);

impl Secrets {
    fn of(host: &crate::collect::Host) -> Secrets {
        let vars: Vec<(String, String)> = host
            .vars()
            .into_iter()
            .filter_map(|(k, v)| Some((k, v.into_string().ok()?)))
            .collect();
        let profile = super::AwsProfile::of(&vars)
            .map(|p| p.settings)
            .unwrap_or_default()
            .into_iter()
            .filter(|(k, _)| crate::redact::secret_variable(k))
            .map(|(_, v)| v);
        let env = vars
            .iter()
            .filter(|(k, _)| {
                ["AWS_", "GOOGLE_", "AZURE_", "SERVICE_ACCOUNT"]
                    .iter()
                    .any(|p| k.starts_with(p))
                    && crate::redact::secret_variable(k)
            })
            .map(|(_, v)| v.clone());
        Secrets(env.chain(profile).filter(|v| v.len() >= 4).collect())
    }

    fn scrub(&self, text: &str) -> String {
        let mut out = crate::redact::scrub_text(text).into_owned();
        for s in &self.0 {
            out = out.replace(s.as_str(), "<redacted>");
        }
        out
    }
}

fn failed(location: &Location, action: String, e: &object_store::Error, secrets: &Secrets) -> StoreError {
    use object_store::Error as E;
    let failure = match e {
        E::NotFound { .. } => StoreFailure::NotFound,
        E::PermissionDenied { .. } | E::Unauthenticated { .. } => StoreFailure::Denied,
        // a failed listing comes back as a generic error whose HTTP status is only in its
        // sources' text (the client's own error type is private)
        other => {
            let text = chain(other);
            if text.contains("403 Forbidden") || text.contains("401 Unauthorized") {
                StoreFailure::Denied
            } else if text.contains("404 Not Found") {
                StoreFailure::NotFound
            } else {
                StoreFailure::Failed
            }
        }
    };
    StoreError::Request {
        location: location.url.clone(),
        action,
        failure,
        reason: secrets.scrub(&chain(e)),
    }
}

/// An error and its sources, each once (`error sending request: … : invalid peer certificate`).
fn chain(e: &dyn std::error::Error) -> String {
    let mut text = e.to_string();
    let mut source = e.source();
    while let Some(s) = source {
        let more = s.to_string();
        if !text.contains(&more) {
            text.push_str(": ");
            text.push_str(&more);
        }
        source = s.source();
    }
    text
}

fn record(meta: &ObjectMeta) -> StoreObject {
    StoreObject {
        size: meta.size,
        etag: meta.e_tag.as_deref().map(super::bare_etag),
        modified: super::iso8601(meta.last_modified.timestamp()),
        version: meta.version.clone(),
        sha256: None,
        checksums: None,
    }
}

/// The checksums a store's response carried (see [`Checksums`]).
#[derive(Debug, Clone, Default)]
struct Kept(std::collections::BTreeMap<String, String>);

/// The client's HTTP connection, which copies the checksums a store sends with an object
/// (`Content-MD5`, GCS's `x-goog-hash`, Azure's `x-ms-content-crc64`, S3's
/// `x-amz-checksum-*`) into the response, where a HEAD's result carries them: the client reads
/// size, ETag, time and version, and no checksum.
#[derive(Debug, Default)]
struct Checksums;

impl object_store::client::HttpConnector for Checksums {
    fn connect(&self, options: &ClientOptions) -> object_store::Result<object_store::client::HttpClient> {
        let inner = object_store::client::ReqwestConnector::default().connect(options)?;
        Ok(object_store::client::HttpClient::new(Keeping(inner)))
    }
}

#[derive(Debug)]
struct Keeping(object_store::client::HttpClient);

#[async_trait::async_trait]
impl object_store::client::HttpService for Keeping {
    async fn call(
        &self,
        request: object_store::client::HttpRequest,
    ) -> Result<object_store::client::HttpResponse, object_store::client::HttpError> {
        let mut response = self.0.execute(request).await?;
        let mut kept = std::collections::BTreeMap::new();
        for (name, value) in response.headers() {
            let (name, Ok(value)) = (name.as_str(), value.to_str()) else {
                continue;
            };
            match name {
                "content-md5" => {
                    kept.insert("md5".to_owned(), value.to_owned());
                }
                "x-ms-content-crc64" => {
                    kept.insert("crc64".to_owned(), value.to_owned());
                }
                // `crc32c=…,md5=…`
                "x-goog-hash" => {
                    for part in value.split(',') {
                        if let Some((algorithm, sum)) = part.trim().split_once('=') {
                            kept.insert(algorithm.to_owned(), sum.to_owned());
                        }
                    }
                }
                _ => {
                    if let Some(algorithm) = name.strip_prefix("x-amz-checksum-")
                        && algorithm != "type"
                        && algorithm != "mode"
                    {
                        kept.insert(algorithm.to_owned(), value.to_owned());
                    }
                }
            }
        }
        if !kept.is_empty() {
            response.extensions_mut().insert(Kept(kept));
        }
        Ok(response)
    }
}

/// An object's record as HEAD gives it: size, ETag, time, version, and the store's checksums.
async fn head(store: &dyn ObjectStore, key: &Key) -> object_store::Result<StoreObject> {
    let got = store
        .get_opts(key, object_store::GetOptions::new().with_head(true))
        .await?;
    let mut object = record(&got.meta);
    object.checksums = got.extensions.get::<Kept>().map(|k| k.0.clone());
    Ok(object)
}

/// What a listing needs: the bucket's client, the location, what to scrub from messages, and
/// whether to read the objects for their digests (and where digests are kept, if they are).
struct Reads<'a> {
    store: Arc<dyn ObjectStore>,
    location: &'a Location,
    secrets: &'a Secrets,
    digests: Option<Option<&'a std::path::Path>>,
    head: bool,
}

impl Reads<'_> {
    /// Hands a batch of objects (sorted) on, with their digests when asked.
    async fn hand(
        &self,
        mut batch: Vec<Found>,
        each: &mut dyn FnMut(Vec<Found>) -> Result<(), StoreError>,
    ) -> Result<(), StoreError> {
        if batch.is_empty() {
            return Ok(());
        }
        if self.head {
            self.heads(&mut batch).await?;
        }
        if let Some(cache) = self.digests {
            digests(&self.store, self.location, &mut batch, cache, self.secrets).await?;
        }
        each(batch)
    }
}

impl Reads<'_> {
    /// Asks each object of a batch (HEAD, several at once) for its version id and the store's
    /// checksums; an object changed since it was listed is recorded as HEAD found it.
    async fn heads(&self, batch: &mut [Found]) -> Result<(), StoreError> {
        let store = &*self.store;
        let asks: Vec<(usize, Key)> = batch
            .iter()
            .enumerate()
            .map(|(i, f)| (i, Key::from(f.key.as_str())))
            .collect();
        let mut heads = futures::stream::iter(
            asks.into_iter()
                .map(|(i, key)| async move { (i, head(store, &key).await) }),
        )
        .buffer_unordered(READS_AT_ONCE);
        while let Some((i, object)) = heads.next().await {
            let url = self.location.object_url(&batch[i].key);
            batch[i].object = object
                .map_err(|e| failed(self.location, format!("read {url}"), &e, self.secrets))?;
        }
        Ok(())
    }
}

/// The objects a location names, handed on in batches in key order: the one object a key names
/// (found by HEAD, which also gives its version), else every object under the prefix that the
/// location matches. The top level is listed with a delimiter, then each folder under it whole,
/// several at once but handed on in order, so that memory holds a few folders' listings, not
/// the bucket's. The listing is read to its end or the run fails.
async fn listed(
    reads: &Reads<'_>,
    each: &mut dyn FnMut(Vec<Found>) -> Result<(), StoreError>,
) -> Result<(), StoreError> {
    let (store, location, secrets) = (&*reads.store, reads.location, reads.secrets);
    if location.is_object() {
        let key = Key::from(location.path.as_str());
        match head(store, &key).await {
            Ok(object) => {
                let one = vec![Found {
                    key: location.path.clone(),
                    object,
                }];
                return reads.hand(one, each).await;
            }
            // `s3://bucket/models` may name a folder, as `aws s3 ls` reads it
            Err(object_store::Error::NotFound { .. }) if location.scheme.lists() => {}
            Err(e) => return Err(failed(location, format!("read {}", location.url), &e, secrets)),
        }
    }
    if !location.scheme.lists() {
        return Ok(());
    }
    let prefix = location.prefix().trim_end_matches('/');
    let prefix = (!prefix.is_empty()).then(|| Key::from(prefix));
    let folder = location.is_object().then(|| format!("{}/", location.path));
    let named = |meta: &ObjectMeta| {
        let key = meta.location.as_ref();
        match &folder {
            Some(f) => key.starts_with(f.as_str()),
            None => location.matches(key),
        }
    };
    let keep = |metas: Vec<ObjectMeta>| -> Vec<Found> {
        let mut out: Vec<Found> = metas
            .iter()
            .filter(|m| named(m))
            .map(|m| Found {
                key: m.location.as_ref().to_owned(),
                object: record(m),
            })
            .collect();
        out.sort_by(|a, b| a.key.cmp(&b.key));
        out
    };
    let failed_listing =
        |e: object_store::Error| failed(location, "list the objects".to_owned(), &e, secrets);
    let top = store
        .list_with_delimiter(prefix.as_ref())
        .await
        .map_err(failed_listing)?;
    let mut below = if location.descends() {
        top.common_prefixes
    } else {
        Vec::new()
    };
    below.sort_by(|a, b| a.as_ref().cmp(b.as_ref()));
    let mut direct = keep(top.objects).into_iter().peekable();
    let mut folders = futures::stream::iter(below.into_iter().map(|p| async move {
        let listed = store.list(Some(&p)).try_collect::<Vec<_>>().await;
        (format!("{}/", p.as_ref()), listed)
    }))
    .buffered(LISTS_AT_ONCE);
    // a folder's keys sort together: the objects of the top level that sort before the folder
    // go first
    while let Some((folder, listed)) = folders.next().await {
        let mut before = Vec::new();
        while let Some(d) = direct.next_if(|d| d.key.as_str() < folder.as_str()) {
            before.push(d);
        }
        reads.hand(before, each).await?;
        reads.hand(keep(listed.map_err(failed_listing)?), each).await?;
    }
    reads.hand(direct.collect(), each).await
}

/// Reads each object (at most [`READS_AT_ONCE`] at a time, each in its own task) for its
/// SHA-256, unless the digest of this very object (URL, ETag, version, size) is kept under
/// `.prov/stores/`. An object whose ETag changed since it was listed is an error.
async fn digests(
    store: &Arc<dyn ObjectStore>,
    location: &Location,
    found: &mut [Found],
    cache: Option<&std::path::Path>,
    secrets: &Secrets,
) -> Result<(), StoreError> {
    let asks: Vec<_> = found
        .iter()
        .enumerate()
        .map(|(i, f)| {
            let url = location.object_url(&f.key);
            let kept = cache.and_then(|c| kept_digest(c, &url, &f.object));
            (i, url, kept, Key::from(f.key.as_str()), f.object.etag.clone())
        })
        .collect();
    let jobs = asks.into_iter().map(|(i, url, kept, key, etag)| {
        let store = store.clone();
        async move {
            if let Some(d) = kept {
                return Ok((i, d, None));
            }
            let task = tokio::spawn(async move { read_digest(&*store, &key, etag).await });
            match task.await {
                Ok(Ok(d)) => Ok((i, d, Some(url))),
                Ok(Err(e)) => Err((url, e)),
                Err(join) => Err((url, object_store::Error::JoinError { source: join })),
            }
        }
    });
    let mut results = futures::stream::iter(jobs).buffer_unordered(READS_AT_ONCE);
    while let Some(r) = results.next().await {
        match r {
            Ok((i, digest, read)) => {
                if let (Some(url), Some(cache)) = (read, cache) {
                    keep_digest(cache, &url, &found[i].object, &digest);
                }
                found[i].object.sha256 = Some(crate::manifest::Sha256(
                    crate::canonical::tag_digest(&digest),
                ));
            }
            Err((url, object_store::Error::Precondition { .. })) => {
                let i = found
                    .iter()
                    .position(|f| location.object_url(&f.key) == url)
                    .unwrap_or_default();
                return Err(StoreError::Changed {
                    url,
                    before: found[i].object.etag.clone().unwrap_or_default(),
                });
            }
            Err((url, e)) => return Err(failed(location, format!("read {url}"), &e, secrets)),
        }
    }
    Ok(())
}

/// An object's SHA-256, streamed; with `if_match`, so that an object overwritten while it is
/// read fails rather than mixing two versions.
async fn read_digest(
    store: &dyn ObjectStore,
    key: &Key,
    etag: Option<String>,
) -> object_store::Result<[u8; 32]> {
    use sha2::Digest;
    let options = object_store::GetOptions {
        if_match: etag.map(|e| format!("\"{e}\"")),
        ..Default::default()
    };
    let got = store.get_opts(key, options).await?;
    let mut hasher = sha2::Sha256::new();
    let mut stream = got.into_stream();
    while let Some(chunk) = stream.try_next().await? {
        hasher.update(&chunk);
    }
    Ok(hasher.finalize().into())
}

/// Where the digest of one state of an object is kept: named by the SHA-256 of its identity.
fn digest_file(cache: &std::path::Path, url: &str, o: &StoreObject) -> Option<std::path::PathBuf> {
    let etag = o.etag.as_deref()?;
    let id = format!(
        "{url}\0{etag}\0{}\0{}",
        o.version.as_deref().unwrap_or(""),
        o.size
    );
    let name = crate::canonical::sha256_tagged(id.as_bytes());
    Some(cache.join(name.trim_start_matches("sha256:")))
}

/// A kept digest, trusted only when its seal (a keyed hash of the digest and the identity)
/// holds.
fn kept_digest(cache: &std::path::Path, url: &str, o: &StoreObject) -> Option<[u8; 32]> {
    let path = digest_file(cache, url, o)?;
    let text = std::fs::read_to_string(&path).ok()?;
    let (hex, seal) = text.trim_end().split_once(' ')?;
    let digest = crate::manifest::tree::raw(&crate::manifest::Sha256(format!("sha256:{hex}")))?;
    (seal == seal_of(&path, hex)).then_some(digest)
}

fn seal_of(path: &std::path::Path, hex: &str) -> String {
    let name = path.file_name().map(|n| n.to_string_lossy()).unwrap_or_default();
    crate::redact::keyed_hex(format!("{name}\0{hex}").as_bytes())
}

/// Keeps a digest; only an optimisation, so a failure to write is ignored.
fn keep_digest(cache: &std::path::Path, url: &str, o: &StoreObject, digest: &[u8; 32]) {
    let Some(path) = digest_file(cache, url, o) else {
        return;
    };
    let hex = crate::canonical::hex(digest);
    let line = format!("{hex} {}\n", seal_of(&path, &hex));
    let _ = crate::disk::write_atomic(&path, crate::disk::Mode::Cache, |f| {
        std::io::Write::write_all(f, line.as_bytes())
    });
}
