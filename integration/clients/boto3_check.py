"""boto3 against albctl sim serve: describes, attribute changes, deregister and register with
waiters, the S3 conditional writes of the apply lock, and AWS's errors (docs/sim-serve.md).

Usage: ALBCTL_SERVE_URL=http://127.0.0.1:PORT python boto3_check.py
The server must serve the blog world (examples/blog/world.json) with the bucket "locks" and a
manual clock; the script moves the clock itself through the control API so that no waiter
sleeps. It prints one line per check and exits non-zero at the first failure.
"""
import os
import sys
import urllib.request

import boto3
from botocore.config import Config
from botocore.exceptions import ClientError

URL = os.environ["ALBCTL_SERVE_URL"]
REGION = "ap-northeast-1"
SOURCE = "i-0a1b2c3d4e5f60001"


def session(region=REGION):
    return boto3.Session(aws_access_key_id="testing", aws_secret_access_key="testing", region_name=region)


def client(name, region=REGION):
    cfg = Config(retries={"max_attempts": 1}, s3={"addressing_style": "path"})
    return session(region).client(name, endpoint_url=URL, config=cfg)


def advance(by):
    req = urllib.request.Request(URL + "/_albctl/clock/advance?by=" + by, method="POST")
    with urllib.request.urlopen(req) as resp:
        assert resp.status == 200, resp.status


def check(name, cond, detail=""):
    if not cond:
        print("FAIL", name, detail)
        sys.exit(1)
    print("ok", name)


def error_code(fn, **kw):
    try:
        fn(**kw)
    except ClientError as e:
        return e.response["Error"]["Code"]
    return None


def describe():
    ec2 = client("ec2")
    ident = client("sts").get_caller_identity()
    check("sts account", ident["Account"] == "123456789012", ident)
    res = ec2.describe_instances(Filters=[{"Name": "tag:Name", "Values": ["web"]}])
    ids = [i["InstanceId"] for r in res["Reservations"] for i in r["Instances"]]
    check("ec2 filter by tag", ids == [SOURCE], ids)
    ec2.get_waiter("instance_running").wait(InstanceIds=[SOURCE])
    check("ec2 waiter instance_running", True)
    subnets = ec2.describe_subnets(Filters=[{"Name": "vpc-id", "Values": ["vpc-0a1b2c3d4e5f60001"]}])["Subnets"]
    check("ec2 subnets of the vpc", len(subnets) >= 2, subnets)
    code = error_code(ec2.describe_instances, InstanceIds=["i-0123456789abcdef9"])
    check("ec2 error code", code == "InvalidInstanceID.NotFound", code)
    code = error_code(client("ec2", "us-west-2").describe_vpcs)
    check("other region refused", code == "SignatureDoesNotMatch", code)
    profile = client("iam").get_instance_profile
    code = error_code(profile, InstanceProfileName="nope")
    check("iam NoSuchEntity", code == "NoSuchEntity", code)


def targets():
    elb = client("elbv2")
    tg = elb.describe_target_groups(Names=["web-tg"])["TargetGroups"][0]["TargetGroupArn"]
    elb.modify_target_group_attributes(TargetGroupArn=tg, Attributes=[{"Key": "deregistration_delay.timeout_seconds", "Value": "30"}])
    attrs = {a["Key"]: a["Value"] for a in elb.describe_target_group_attributes(TargetGroupArn=tg)["Attributes"]}
    check("elbv2 attribute modified", attrs["deregistration_delay.timeout_seconds"] == "30", attrs)
    target = [{"Id": SOURCE, "Port": 80}]
    elb.deregister_targets(TargetGroupArn=tg, Targets=target)
    state = elb.describe_target_health(TargetGroupArn=tg, Targets=target)["TargetHealthDescriptions"][0]["TargetHealth"]["State"]
    check("elbv2 draining", state == "draining", state)
    advance("31s")
    elb.get_waiter("target_deregistered").wait(TargetGroupArn=tg, Targets=target)
    check("elbv2 waiter target_deregistered", True)
    elb.register_targets(TargetGroupArn=tg, Targets=target)
    advance("10m")
    elb.get_waiter("target_in_service").wait(TargetGroupArn=tg, Targets=target)
    check("elbv2 waiter target_in_service", True)
    code = error_code(elb.describe_target_groups, Names=["nope"])
    check("elbv2 error code", code == "TargetGroupNotFound", code)


def lock():
    s3 = client("s3")
    s3.put_object(Bucket="locks", Key="blog/apply.lock", Body=b'{"id":"boto3"}', IfNoneMatch="*")
    code = error_code(s3.put_object, Bucket="locks", Key="blog/apply.lock", Body=b"{}", IfNoneMatch="*")
    check("s3 conditional put refused", code == "PreconditionFailed", code)
    body = s3.get_object(Bucket="locks", Key="blog/apply.lock")["Body"].read()
    check("s3 get", body == b'{"id":"boto3"}', body)
    s3.delete_object(Bucket="locks", Key="blog/apply.lock")
    code = error_code(s3.get_object, Bucket="locks", Key="blog/apply.lock")
    check("s3 deleted", code == "NoSuchKey", code)


describe()
targets()
lock()
