//! The stores' clients (`object_store`), on one tokio runtime made on first use.

use super::{Ask, Found};
use crate::config::location::{Location, Scheme};
use crate::error::{StoreError, StoreFailure};
use crate::manifest::object::StoreObject;
use futures::{StreamExt, TryStreamExt};
use object_store::list::PaginatedListStore;
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
    clients: Mutex<HashMap<String, Client>>,
}

/// One bucket's client, as each of its uses needs it.
#[derive(Clone)]
struct Client {
    store: Arc<dyn ObjectStore>,
    /// Listing page by page, with a delimiter (not for a web server).
    pages: Option<Arc<dyn PaginatedListStore>>,
    /// An S3 bucket's client and region, to ask for the checksums S3 keeps.
    s3: Option<(Arc<object_store::aws::AmazonS3>, Arc<str>)>,
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
        let client = self.client(host, location, ask.deadline)?;
        let secrets = Secrets::of(host);
        let started = Instant::now();
        let reads = Reads {
            client,
            location,
            secrets: &secrets,
            digests: ask.sha256.then_some(ask.keep.then_some(cache)),
            head: ask.head,
            checksums: ask.checksums,
            sha256_asked: Arc::default(),
            sha256_kept: Arc::default(),
        };
        let work = listed(&reads, each);
        // the client's own retries stop at the deadline and say what they met; this timer,
        // a little later, is the backstop for anything that would wait past it
        let backstop = backstop(ask.deadline);
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
    ) -> Result<Client, StoreError> {
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
        // each request gives up within the location's deadline, and retries stop before it
        let options = ClientOptions::new()
            .with_timeout(deadline.min(Duration::from_secs(120)))
            .with_connect_timeout(deadline.min(Duration::from_secs(10)));
        let retry = retries(deadline);
        // an endpoint the settings name as plain HTTP (a local server, an emulator) is allowed
        let plain_http = |names: &[&str]| {
            vars.iter()
                .any(|(k, v)| names.contains(&k.as_str()) && v.starts_with("http://"))
        };
        let setup = |e: object_store::Error| StoreError::Setup {
            location: location.url.clone(),
            reason: Secrets::of(host).scrub(&e.to_string()),
        };
        let client = match location.scheme {
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
                let b = b.with_url(&location.base);
                let region: Arc<str> = b
                    .get_config_value(&AmazonS3ConfigKey::Region)
                    .unwrap_or_else(|| "us-east-1".to_owned())
                    .into();
                let s3 = Arc::new(b.build().map_err(setup)?);
                Client {
                    store: s3.clone(),
                    pages: Some(s3.clone()),
                    s3: Some((s3, region)),
                }
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
                let gcs = Arc::new(b.with_url(&location.base).build().map_err(setup)?);
                Client {
                    store: gcs.clone(),
                    pages: Some(gcs),
                    s3: None,
                }
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
                let azure = Arc::new(b.with_url(&location.base).build().map_err(setup)?);
                Client {
                    store: azure.clone(),
                    pages: Some(azure),
                    s3: None,
                }
            }
            Scheme::Http => {
                let options = options.with_allow_http(location.base.starts_with("http://"));
                let web = object_store::http::HttpBuilder::new()
                    .with_client_options(options)
                    .with_http_connector(Checksums)
                    .with_retry(retry)
                    .with_url(&location.base)
                    .build()
                    .map_err(setup)?;
                Client {
                    store: Arc::new(web),
                    pages: None,
                    s3: None,
                }
            }
        };
        clients.insert(id, client.clone());
        Ok(client)
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

/// The checksums a store's response carried (see [`Checksums`]), and whether S3 said they are
/// composite (a multipart upload's checksum of its parts' checksums, not of the content).
#[derive(Debug, Clone, Default)]
struct Kept {
    sums: std::collections::BTreeMap<String, String>,
    composite: bool,
}

impl Kept {
    /// The SHA-256 of the whole content, where the store's checksum is one: S3's
    /// `x-amz-checksum-sha256` of an object uploaded in one part (S3 checked it on upload).
    fn content_sha256(&self) -> Option<[u8; 32]> {
        use base64::Engine;
        if self.composite {
            return None;
        }
        let sum = self.sums.get("sha256")?;
        let bytes = base64::engine::general_purpose::STANDARD.decode(sum).ok()?;
        bytes.try_into().ok()
    }
}

/// Marks an S3 HEAD that asks for the object's checksums. S3 sends `x-amz-checksum-*` only
/// to a request carrying `x-amz-checksum-mode: ENABLED` among its signed headers, which the
/// client does not send: the connection adds it and signs the request again, with the
/// credential and region the client signed it with.
#[derive(Clone)]
struct ChecksumMode {
    credential: Arc<object_store::aws::AwsCredential>,
    region: Arc<str>,
}

/// The client's HTTP connection, which copies the checksums a store sends with an object
/// (`Content-MD5`, GCS's `x-goog-hash`, Azure's `x-ms-content-crc64`, S3's
/// `x-amz-checksum-*`) into the response, where a HEAD's result carries them: the client reads
/// size, ETag, time and version, and no checksum. It asks S3 for them (see [`ChecksumMode`]).
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
        mut request: object_store::client::HttpRequest,
    ) -> Result<object_store::client::HttpResponse, object_store::client::HttpError> {
        if let Some(mode) = request.extensions().get::<ChecksumMode>().cloned() {
            use reqwest::header::{AUTHORIZATION, HeaderValue};
            request
                .headers_mut()
                .insert("x-amz-checksum-mode", HeaderValue::from_static("ENABLED"));
            // an unsigned request (a public bucket) stays unsigned
            if request.headers().contains_key(AUTHORIZATION) {
                object_store::aws::AwsAuthorizer::new(&mode.credential, "s3", &mode.region)
                    .try_authorize(&mut request, None)
                    .map_err(|e| {
                        object_store::client::HttpError::new(
                            object_store::client::HttpErrorKind::Unknown,
                            e,
                        )
                    })?;
            }
        }
        let mut response = self.0.execute(request).await?;
        let mut kept = std::collections::BTreeMap::new();
        let mut composite = false;
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
                "x-amz-checksum-type" => composite = value.eq_ignore_ascii_case("COMPOSITE"),
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
            response.extensions_mut().insert(Kept {
                sums: kept,
                composite,
            });
        }
        Ok(response)
    }
}

/// An object's record as HEAD gives it: size, ETag, time, version, and the checksums the
/// store sends (asked of S3 when `checksums`; see [`ChecksumMode`]).
async fn head(
    client: &Client,
    key: &Key,
    checksums: bool,
) -> object_store::Result<(StoreObject, Option<Kept>)> {
    let mut options = object_store::GetOptions::new().with_head(true);
    if checksums && let Some((s3, region)) = &client.s3 {
        let credential = s3.credentials().get_credential().await?;
        options.extensions.insert(ChecksumMode {
            credential,
            region: region.clone(),
        });
    }
    let got = client.store.get_opts(key, options).await?;
    let kept = got.extensions.get::<Kept>().cloned();
    let mut object = record(&got.meta);
    object.checksums = kept.as_ref().map(|k| k.sums.clone());
    Ok((object, kept))
}

/// What a listing needs: the bucket's client, the location, what to scrub from messages, and
/// whether to read the objects for their digests (and where digests are kept, if they are).
struct Reads<'a> {
    client: Client,
    location: &'a Location,
    secrets: &'a Secrets,
    digests: Option<Option<&'a std::path::Path>>,
    head: bool,
    checksums: bool,
    /// How many objects were asked for S3's SHA-256, and how many had one.
    sha256_asked: Arc<std::sync::atomic::AtomicUsize>,
    sha256_kept: Arc<std::sync::atomic::AtomicUsize>,
}

/// How many objects of a location are asked for a SHA-256 S3 keeps before, none having one,
/// the others are read without asking (a bucket that keeps none costs a HEAD per object more).
const SHA256_ASKED_FIRST: usize = 8;

impl Reads<'_> {
    /// Hands a batch of objects (sorted) on, with their digests when asked (and what HEAD says
    /// of each, with `head`).
    async fn hand(
        &self,
        mut batch: Vec<Found>,
        head: bool,
        each: &mut dyn FnMut(Vec<Found>) -> Result<(), StoreError>,
    ) -> Result<(), StoreError> {
        if batch.is_empty() {
            return Ok(());
        }
        for f in &batch {
            super::bounded(self.location, f)?;
        }
        if head {
            self.heads(&mut batch).await?;
        }
        if let Some(cache) = self.digests {
            self.digests(&mut batch, cache).await?;
        }
        each(batch)
    }

    /// Whether a HEAD asks S3 for its checksums: when the location wants them, or content
    /// digests (which a SHA-256 S3 keeps stands for).
    fn asks_checksums(&self) -> bool {
        self.checksums || self.digests.is_some()
    }

    fn failed(&self, action: String, e: &object_store::Error) -> StoreError {
        failed(self.location, action, e, self.secrets)
    }

    /// Asks each object of a batch (HEAD, several at once) for its version id and the store's
    /// checksums; an object changed since it was listed is recorded as HEAD found it. A
    /// checksum that is the content's SHA-256 (S3's, of an object uploaded whole) stands for
    /// its content digest.
    async fn heads(&self, batch: &mut [Found]) -> Result<(), StoreError> {
        let asks: Vec<(usize, Key)> = batch
            .iter()
            .enumerate()
            .map(|(i, f)| (i, Key::from(f.key.as_str())))
            .collect();
        let (client, checksums) = (&self.client, self.asks_checksums());
        let mut heads = futures::stream::iter(
            asks.into_iter()
                .map(|(i, key)| async move { (i, head(client, &key, checksums).await) }),
        )
        .buffer_unordered(READS_AT_ONCE);
        while let Some((i, got)) = heads.next().await {
            let url = self.location.object_url(&batch[i].key);
            let (mut object, kept) = got.map_err(|e| self.failed(format!("read {url}"), &e))?;
            if self.digests.is_some() {
                object.sha256 = kept.and_then(|k| k.content_sha256()).map(tagged);
            }
            let found = Found {
                key: std::mem::take(&mut batch[i].key),
                object,
            };
            super::bounded(self.location, &found)?;
            batch[i] = found;
        }
        Ok(())
    }

    /// Each object's SHA-256: kept under `.prov/stores/` for this very object (URL, ETag,
    /// version, size), else the store's own where it keeps one (S3's checksum, asked by HEAD),
    /// else read (at most [`READS_AT_ONCE`] at a time, each in its own task). An object whose
    /// ETag changed since it was listed is an error.
    async fn digests(
        &self,
        found: &mut [Found],
        cache: Option<&std::path::Path>,
    ) -> Result<(), StoreError> {
        let location = self.location;
        let asks: Vec<_> = found
            .iter()
            .enumerate()
            .filter(|(_, f)| f.object.sha256.is_none())
            .map(|(i, f)| {
                let url = location.object_url(&f.key);
                let kept = cache.and_then(|c| kept_digest(c, &url, &f.object));
                (i, url, kept, Key::from(f.key.as_str()), f.object.clone())
            })
            .collect();
        let jobs = asks.into_iter().map(|(i, url, kept, key, listed)| {
            let client = self.client.clone();
            let (asked, found) = (self.sha256_asked.clone(), self.sha256_kept.clone());
            async move {
                if let Some(d) = kept {
                    return Ok((i, d, false));
                }
                use std::sync::atomic::Ordering::Relaxed;
                let ask = client.s3.is_some()
                    && (found.load(Relaxed) > 0 || asked.fetch_add(1, Relaxed) < SHA256_ASKED_FIRST);
                let task = tokio::spawn(async move {
                    let d = content_digest(&client, &key, &listed, ask).await;
                    if let Ok((_, true)) = d {
                        found.fetch_add(1, Relaxed);
                    }
                    d.map(|(d, _)| d)
                });
                match task.await {
                    Ok(Ok(d)) => Ok((i, d, true)),
                    Ok(Err(e)) => Err((url, e)),
                    Err(join) => Err((url, object_store::Error::JoinError { source: join })),
                }
            }
        });
        let mut results = futures::stream::iter(jobs).buffer_unordered(READS_AT_ONCE);
        while let Some(r) = results.next().await {
            match r {
                Ok((i, digest, new)) => {
                    if let (true, Some(cache)) = (new, cache) {
                        let url = location.object_url(&found[i].key);
                        keep_digest(cache, &url, &found[i].object, &digest);
                    }
                    found[i].object.sha256 = Some(tagged(digest));
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
                Err((url, e)) => return Err(self.failed(format!("read {url}"), &e)),
            }
        }
        Ok(())
    }
}

fn tagged(digest: [u8; 32]) -> crate::manifest::Sha256 {
    crate::manifest::Sha256(crate::canonical::tag_digest(&digest))
}

/// One object's SHA-256: with `ask`, S3's checksum of the object as listed when it keeps one
/// for the whole content (a HEAD; and `true`), else the object streamed.
async fn content_digest(
    client: &Client,
    key: &Key,
    listed: &StoreObject,
    ask: bool,
) -> object_store::Result<([u8; 32], bool)> {
    if ask {
        let (now, kept) = head(client, key, true).await?;
        if now.etag != listed.etag {
            return Err(object_store::Error::Precondition {
                path: key.to_string(),
                source: "the object changed since it was listed".into(),
            });
        }
        if let Some(d) = kept.and_then(|k| k.content_sha256()) {
            return Ok((d, true));
        }
    }
    Ok((read_digest(&*client.store, key, listed.etag.clone()).await?, false))
}

/// How many pages of one folder's listing are held ahead of the one handed on.
const PAGES_AHEAD: usize = 2;

/// How many objects of a location's top level may wait behind the folders listed before them.
const WAITING_AT_ONCE: usize = 10_000;

/// What comes next in key order: objects of the top level, or a folder being listed.
enum Next {
    Objects(Vec<Found>),
    /// A folder not yet listed (`train/`).
    Folder(String),
    /// A folder being listed, its pages arriving.
    Listing(futures::channel::mpsc::Receiver<object_store::Result<Vec<ObjectMeta>>>),
}

/// The objects a location names, handed on in batches in key order: the one object a key names
/// (found by HEAD, which also gives its version), else every object under the prefix that the
/// location matches. The top level is listed page by page with a delimiter; each folder under
/// it is listed whole in a task of its own, several at once, each at most [`PAGES_AHEAD`]
/// pages ahead of what is handed on: memory holds a few pages, not the bucket's listing. The
/// listing is read to its end, in order, or the run fails.
async fn listed(
    reads: &Reads<'_>,
    each: &mut dyn FnMut(Vec<Found>) -> Result<(), StoreError>,
) -> Result<(), StoreError> {
    let (client, location) = (&reads.client, reads.location);
    if location.is_object() {
        let key = Key::from(location.path.as_str());
        match head(client, &key, reads.asks_checksums()).await {
            Ok((mut object, kept)) => {
                if reads.digests.is_some() {
                    object.sha256 = kept.and_then(|k| k.content_sha256()).map(tagged);
                }
                let one = Found {
                    key: location.path.clone(),
                    object,
                };
                return reads.hand(vec![one], false, each).await;
            }
            // `s3://bucket/models` may name a folder, as `aws s3 ls` reads it
            Err(object_store::Error::NotFound { .. }) if location.scheme.lists() => {}
            Err(e) => return Err(reads.failed(format!("read {}", location.url), &e)),
        }
    }
    let Some(pages) = client.pages.as_ref().filter(|_| location.scheme.lists()) else {
        return Ok(());
    };
    let prefix = location.prefix().trim_end_matches('/');
    let prefix = (!prefix.is_empty()).then(|| format!("{prefix}/"));
    let folder = location.is_object().then(|| format!("{}/", location.path));
    let named = |key: &str| match &folder {
        Some(f) => key.starts_with(f.as_str()),
        None => location.matches(key),
    };
    let keep = |metas: Vec<ObjectMeta>| -> Vec<Found> {
        metas
            .iter()
            .filter(|m| named(m.location.as_ref()))
            .map(|m| Found {
                key: m.location.as_ref().to_owned(),
                object: record(m),
            })
            .collect()
    };
    let failed_listing = |e: object_store::Error| reads.failed("list the objects".to_owned(), &e);
    let mut order = Order::new(location);
    let mut queue: std::collections::VecDeque<Next> = std::collections::VecDeque::new();
    let (mut token, mut top_done) = (None, false);
    loop {
        // the top level's next page, while few folders and objects wait
        while !top_done
            && queue.iter().filter(|n| !matches!(n, Next::Objects(_))).count() < LISTS_AT_ONCE
            && queue
                .iter()
                .map(|n| match n {
                    Next::Objects(o) => o.len(),
                    _ => 0,
                })
                .sum::<usize>()
                < WAITING_AT_ONCE
        {
            let options = object_store::list::PaginatedListOptions {
                delimiter: Some("/".into()),
                page_token: token.take(),
                ..Default::default()
            };
            let page = pages
                .list_paginated(prefix.as_deref(), options)
                .await
                .map_err(failed_listing)?;
            token = page.page_token;
            top_done = token.is_none();
            let mut items: Vec<(String, Option<Found>)> = keep(page.result.objects)
                .into_iter()
                .map(|f| (f.key.clone(), Some(f)))
                .collect();
            if location.descends() {
                items.extend(
                    page.result
                        .common_prefixes
                        .iter()
                        .map(|p| (format!("{}/", p.as_ref()), None)),
                );
            }
            items.sort_by(|a, b| a.0.cmp(&b.0));
            // a page's runs of objects stay apart from another page's, whose order is checked
            let mut run = Vec::new();
            for (name, object) in items {
                match object {
                    Some(f) => run.push(f),
                    None => {
                        if !run.is_empty() {
                            queue.push_back(Next::Objects(std::mem::take(&mut run)));
                        }
                        queue.push_back(Next::Folder(name));
                    }
                }
            }
            if !run.is_empty() {
                queue.push_back(Next::Objects(run));
            }
        }
        // the first few folders waiting are listed, each in its task, while the first is read
        for next in queue
            .iter_mut()
            .filter(|n| !matches!(n, Next::Objects(_)))
            .take(LISTS_AT_ONCE)
        {
            if let Next::Folder(name) = next {
                *next = Next::Listing(list_folder(client, std::mem::take(name)));
            }
        }
        match queue.pop_front() {
            None => break,
            Some(Next::Objects(run)) => reads.hand(order.check(run)?, reads.head, each).await?,
            Some(Next::Folder(name)) => queue.push_front(Next::Listing(list_folder(client, name))),
            Some(Next::Listing(mut pages)) => {
                while let Some(page) = pages.next().await {
                    let found = keep(page.map_err(failed_listing)?);
                    reads.hand(order.check(found)?, reads.head, each).await?;
                }
            }
        }
    }
    Ok(())
}

/// Lists one folder (`train/`) in a task of its own, into a channel that holds at most
/// [`PAGES_AHEAD`] pages.
fn list_folder(
    client: &Client,
    folder: String,
) -> futures::channel::mpsc::Receiver<object_store::Result<Vec<ObjectMeta>>> {
    use futures::SinkExt;
    const PAGE: usize = 1000;
    let (mut tx, rx) = futures::channel::mpsc::channel(PAGES_AHEAD);
    let store = client.store.clone();
    tokio::spawn(async move {
        let key = Key::from(folder.trim_end_matches('/'));
        let mut listing = store.list(Some(&key));
        let mut page = Vec::with_capacity(PAGE);
        while let Some(item) = listing.next().await {
            match item {
                Ok(meta) => {
                    page.push(meta);
                    if page.len() == PAGE
                        && tx.send(Ok(std::mem::replace(&mut page, Vec::with_capacity(PAGE)))).await.is_err()
                    {
                        // nobody reads on: the listing failed or was dropped
                        return;
                    }
                }
                Err(e) => {
                    let _ = tx.send(Err(e)).await;
                    return;
                }
            }
        }
        if !page.is_empty() {
            let _ = tx.send(Ok(page)).await;
        }
    });
    rx
}

/// Keys handed on must ascend: a folder's objects are folded as they arrive, so a store that
/// lists out of order would split a folder. A page is sorted; pages must follow each other.
struct Order<'a> {
    location: &'a Location,
    last: Option<String>,
}

impl<'a> Order<'a> {
    fn new(location: &'a Location) -> Order<'a> {
        Order {
            location,
            last: None,
        }
    }

    fn check(&mut self, mut found: Vec<Found>) -> Result<Vec<Found>, StoreError> {
        found.sort_by(|a, b| a.key.cmp(&b.key));
        if let (Some(last), Some(first)) = (&self.last, found.first())
            && first.key.as_str() <= last.as_str()
        {
            return Err(StoreError::Refused {
                location: self.location.url.clone(),
                reason: format!(
                    "it listed `{}` after `{last}`, out of key order",
                    self.location.object_url(&first.key)
                ),
            });
        }
        if let Some(f) = found.last() {
            self.last = Some(f.key.clone());
        }
        Ok(found)
    }
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

/// When a location's work is given up, whatever it waits on: a little after its deadline.
fn backstop(deadline: Duration) -> Duration {
    deadline + deadline / 4 + Duration::from_secs(1)
}

/// How a request is retried within a location's deadline: a refused connection or a server
/// error, with backoff, for three quarters of it, and no wait longer than an eighth of it. So the
/// last retry ends before the [`backstop`] and the error says what the store answered; a wait is
/// drawn up to twice the one before, and an unbounded one could pass the deadline by seconds.
fn retries(deadline: Duration) -> RetryConfig {
    let mut retry = RetryConfig {
        retry_timeout: deadline.mul_f64(0.75),
        max_retries: 10,
        ..RetryConfig::default()
    };
    retry.backoff.max_backoff = retry.backoff.max_backoff.min(deadline / 8);
    retry.backoff.init_backoff = retry.backoff.init_backoff.min(retry.backoff.max_backoff);
    retry
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_last_retry_ends_before_the_backstop() {
        for deadline in [
            Duration::from_millis(200),
            Duration::from_secs(3),
            Duration::from_secs(300),
            Duration::from_secs(3600),
        ] {
            let retry = retries(deadline);
            // a retry is decided at most at `retry_timeout`, then waits at most `max_backoff`
            let last = retry.retry_timeout + retry.backoff.max_backoff;
            assert!(last < deadline, "{deadline:?}: {last:?}");
            assert!(backstop(deadline) > deadline, "{deadline:?}");
            assert!(retry.backoff.init_backoff <= retry.backoff.max_backoff);
            // a default-sized deadline keeps the library's own backoff
            if deadline >= Duration::from_secs(300) {
                assert_eq!(retry.backoff.max_backoff, Duration::from_secs(15));
            }
        }
    }
}
