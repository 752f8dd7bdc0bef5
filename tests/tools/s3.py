"""Seeds and changes an S3 server's buckets with boto3, the AWS SDK for Python, as a team's
own upload scripts would, for provbase's tests of remote locations.

    s3.py ENDPOINT bucket NAME [versioned]
    s3.py ENDPOINT put BUCKET KEY TEXT
    s3.py ENDPOINT put-sha256 BUCKET KEY TEXT   (S3 keeps the content's SHA-256)
    s3.py ENDPOINT put-many BUCKET PREFIX COUNT FOLDERS   (FOLDERS 0: all under PREFIX)
    s3.py ENDPOINT delete BUCKET KEY
    s3.py ENDPOINT head BUCKET KEY          (prints the ETag)
    s3.py ENDPOINT versions BUCKET KEY      (prints the version ids, newest first)
    s3.py ENDPOINT iam-keys                 (a user allowed everything; prints its key id
                                             and secret)

Credentials come from the environment (AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY).
"""

import sys
from concurrent.futures import ThreadPoolExecutor

import boto3


def main(argv):
    endpoint, command, *rest = argv
    s3 = boto3.client("s3", endpoint_url=endpoint, region_name="us-east-1")
    if command == "bucket":
        s3.create_bucket(Bucket=rest[0])
        if rest[1:] == ["versioned"]:
            s3.put_bucket_versioning(
                Bucket=rest[0], VersioningConfiguration={"Status": "Enabled"}
            )
    elif command == "put":
        bucket, key, text = rest
        s3.put_object(Bucket=bucket, Key=key, Body=text.encode())
    elif command == "put-sha256":
        bucket, key, text = rest
        s3.put_object(Bucket=bucket, Key=key, Body=text.encode(), ChecksumAlgorithm="SHA256")
    elif command == "iam-keys":
        iam = boto3.client("iam", endpoint_url=endpoint, region_name="us-east-1")
        iam.create_user(UserName="ci")
        policy = '{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}'
        iam.put_user_policy(UserName="ci", PolicyName="all", PolicyDocument=policy)
        key = iam.create_access_key(UserName="ci")["AccessKey"]
        print(key["AccessKeyId"], key["SecretAccessKey"])
    elif command == "put-many":
        bucket, prefix, count, folders = rest[0], rest[1], int(rest[2]), int(rest[3])

        def put(i):
            # FOLDERS 0: every object directly under PREFIX (a flat bucket)
            folder = f"f{i % folders}/" if folders else ""
            key = f"{prefix}{folder}obj-{i:06}.bin"
            s3.put_object(Bucket=bucket, Key=key, Body=f"object {i}\n".encode())

        with ThreadPoolExecutor(16) as pool:
            list(pool.map(put, range(count)))
    elif command == "delete":
        bucket, key = rest
        s3.delete_object(Bucket=bucket, Key=key)
    elif command == "head":
        bucket, key = rest
        print(s3.head_object(Bucket=bucket, Key=key)["ETag"].strip('"'))
    elif command == "versions":
        bucket, key = rest
        listed = s3.list_object_versions(Bucket=bucket, Prefix=key)
        for v in sorted(
            listed.get("Versions", []), key=lambda v: v["LastModified"], reverse=True
        ):
            if v["Key"] == key:
                print(v["VersionId"])
    else:
        sys.exit(f"unknown command {command}")


if __name__ == "__main__":
    main(sys.argv[1:])
