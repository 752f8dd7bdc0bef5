"""Seeds and changes a GCS server's buckets through GCS's JSON API (the API google-cloud-storage
speaks), for provbase's tests of gs:// locations against fake-gcs-server.

    gcs.py ENDPOINT bucket NAME
    gcs.py ENDPOINT put BUCKET KEY TEXT
    gcs.py ENDPOINT put-many BUCKET PREFIX COUNT   (PREFIXobj-000000 …, 16 at once)
    gcs.py ENDPOINT delete BUCKET KEY
    gcs.py ENDPOINT get BUCKET KEY          (prints the object's etag, md5Hash and generation)
"""

import json
import sys
import urllib.parse
import urllib.request


def call(endpoint, method, path, body=None, ctype="application/json"):
    request = urllib.request.Request(
        endpoint + path, data=body, method=method, headers={"Content-Type": ctype}
    )
    with urllib.request.urlopen(request) as r:
        text = r.read()
    return json.loads(text) if text else {}


def main(argv):
    endpoint, command, *rest = argv
    quote = lambda k: urllib.parse.quote(k, safe="")
    if command == "bucket":
        call(endpoint, "POST", "/storage/v1/b?project=provbase", json.dumps({"name": rest[0]}).encode())
    elif command == "put":
        bucket, key, text = rest
        call(
            endpoint,
            "POST",
            f"/upload/storage/v1/b/{bucket}/o?uploadType=media&name={quote(key)}",
            text.encode(),
            "application/octet-stream",
        )
    elif command == "put-many":
        from concurrent.futures import ThreadPoolExecutor
        bucket, prefix, count = rest[0], rest[1], int(rest[2])

        def put(i):
            call(
                endpoint,
                "POST",
                f"/upload/storage/v1/b/{bucket}/o?uploadType=media&name={quote(f'{prefix}obj-{i:06}')}",
                f"object {i}\n".encode(),
                "application/octet-stream",
            )

        with ThreadPoolExecutor(16) as pool:
            list(pool.map(put, range(count)))
    elif command == "delete":
        bucket, key = rest
        call(endpoint, "DELETE", f"/storage/v1/b/{bucket}/o/{quote(key)}")
    elif command == "get":
        bucket, key = rest
        o = call(endpoint, "GET", f"/storage/v1/b/{bucket}/o/{quote(key)}")
        print(o["etag"], o["md5Hash"], o["generation"])
    else:
        sys.exit(f"unknown command {command}")


if __name__ == "__main__":
    main(sys.argv[1:])
