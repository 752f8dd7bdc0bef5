"""Seeds and changes an Azure Blob Storage account with azure-storage-blob, Microsoft's SDK, for
provbase's tests of az:// locations against Azurite.

    azure_blob.py CONNECTION_STRING container NAME
    azure_blob.py CONNECTION_STRING put CONTAINER KEY TEXT
    azure_blob.py CONNECTION_STRING put-many CONTAINER PREFIX COUNT   (PREFIXobj-000000 …)
    azure_blob.py CONNECTION_STRING delete CONTAINER KEY
    azure_blob.py CONNECTION_STRING etag CONTAINER KEY     (prints the blob's ETag)
"""

import sys

from azure.storage.blob import BlobServiceClient


def main(argv):
    connection, command, *rest = argv
    service = BlobServiceClient.from_connection_string(connection)
    if command == "container":
        service.create_container(rest[0])
    elif command == "put":
        container, key, text = rest
        service.get_blob_client(container, key).upload_blob(text.encode(), overwrite=True)
    elif command == "put-many":
        from concurrent.futures import ThreadPoolExecutor
        container, prefix, count = rest[0], rest[1], int(rest[2])
        client = service.get_container_client(container)

        def put(i):
            client.upload_blob(f"{prefix}obj-{i:06}", f"object {i}\n".encode(), overwrite=True)

        with ThreadPoolExecutor(16) as pool:
            list(pool.map(put, range(count)))
    elif command == "delete":
        container, key = rest
        service.get_blob_client(container, key).delete_blob()
    elif command == "etag":
        container, key = rest
        print(service.get_blob_client(container, key).get_blob_properties().etag.strip('"'))
    else:
        sys.exit(f"unknown command {command}")


if __name__ == "__main__":
    main(sys.argv[1:])
