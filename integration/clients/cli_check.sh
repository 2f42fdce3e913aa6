#!/usr/bin/env bash
# The AWS CLI against albctl sim serve: describes with filters and queries, attribute changes,
# deregister and register with the CLI's waiters, the S3 conditional put, and AWS's errors
# (docs/sim-serve.md).
#
# Usage: ALBCTL_SERVE_URL=http://127.0.0.1:PORT AWS=path/to/aws cli_check.sh
# The server must serve the blog world with the bucket "locks" and a manual clock; this script
# moves the clock through the control API so that no waiter sleeps.
set -euo pipefail

: "${ALBCTL_SERVE_URL:?set ALBCTL_SERVE_URL to the URL of the server}"
AWS=${AWS:-aws}
export AWS_ACCESS_KEY_ID=testing AWS_SECRET_ACCESS_KEY=testing AWS_DEFAULT_REGION=ap-northeast-1
export AWS_ENDPOINT_URL=$ALBCTL_SERVE_URL AWS_EC2_METADATA_DISABLED=true AWS_MAX_ATTEMPTS=1
export AWS_CONFIG_FILE=/dev/null AWS_SHARED_CREDENTIALS_FILE=/dev/null AWS_PAGER=""

source_instance=i-0a1b2c3d4e5f60001

check() { # check NAME GOT WANT
	if [ "$2" != "$3" ]; then
		echo "FAIL $1: got '$2', want '$3'"
		exit 1
	fi
	echo "ok $1"
}

advance() { curl -sf -X POST "$ALBCTL_SERVE_URL/_albctl/clock/advance?by=$1" >/dev/null; }

# error_code CMD...: the AWS error code the command fails with.
error_code() {
	local out
	if out=$("$@" 2>&1); then
		echo "none"
	else
		sed -n 's/.*An error occurred (\([A-Za-z0-9.]*\)).*/\1/p' <<<"$out" | head -1
	fi
}

check "sts account" "$($AWS sts get-caller-identity --query Account --output text)" 123456789012
check "ec2 filter by tag" "$($AWS ec2 describe-instances --filters Name=tag:Name,Values=web \
	--query 'Reservations[].Instances[].InstanceId' --output text)" "$source_instance"
# What the simulator holds for the instance (examples/blog/world.json), as the CLI prints it.
check "ec2 describe-instances" "$($AWS ec2 describe-instances --instance-ids "$source_instance" --output text \
	--query 'Reservations[].Instances[].[InstanceType,Placement.AvailabilityZone,SubnetId,ImageId,State.Name,IamInstanceProfile.Arn]')" \
	"$(printf 't3.small\tap-northeast-1a\tsubnet-0a1b2c3d4e5f61a01\tami-0a1b2c3d4e5f60100\trunning\tarn:aws:iam::123456789012:instance-profile/web-app')"
$AWS ec2 wait instance-running --instance-ids "$source_instance"
echo "ok ec2 wait instance-running"
check "ec2 error" "$(error_code "$AWS" ec2 describe-instances --instance-ids i-0123456789abcdef9)" InvalidInstanceID.NotFound
check "unserved action" "$(error_code "$AWS" ec2 describe-hosts)" InvalidAction
check "other region" "$(error_code "$AWS" ec2 describe-vpcs --region us-west-2)" SignatureDoesNotMatch

tg=$($AWS elbv2 describe-target-groups --names web-tg --query 'TargetGroups[0].TargetGroupArn' --output text)
$AWS elbv2 modify-target-group-attributes --target-group-arn "$tg" \
	--attributes Key=deregistration_delay.timeout_seconds,Value=30 >/dev/null
check "elbv2 attribute" "$($AWS elbv2 describe-target-group-attributes --target-group-arn "$tg" \
	--query "Attributes[?Key=='deregistration_delay.timeout_seconds'].Value" --output text)" 30
$AWS elbv2 deregister-targets --target-group-arn "$tg" --targets Id=$source_instance,Port=80
check "elbv2 draining" "$($AWS elbv2 describe-target-health --target-group-arn "$tg" \
	--query 'TargetHealthDescriptions[0].TargetHealth.State' --output text)" draining
advance 31s
$AWS elbv2 wait target-deregistered --target-group-arn "$tg" --targets Id=$source_instance,Port=80
echo "ok elbv2 wait target-deregistered"
$AWS elbv2 register-targets --target-group-arn "$tg" --targets Id=$source_instance,Port=80
# Registered, the target waits for its health checks: the clock has not moved, so it is
# initial, and only the advance below lets the waiter return.
check "elbv2 initial" "$($AWS elbv2 describe-target-health --target-group-arn "$tg" \
	--query 'TargetHealthDescriptions[].[Target.Id,Target.Port,TargetHealth.State,TargetHealth.Reason]' --output text)" \
	"$(printf '%s\t80\tinitial\tElb.RegistrationInProgress' "$source_instance")"
advance 10m
$AWS elbv2 wait target-in-service --target-group-arn "$tg" --targets Id=$source_instance,Port=80
echo "ok elbv2 wait target-in-service"
check "elbv2 healthy" "$($AWS elbv2 describe-target-health --target-group-arn "$tg" \
	--query 'TargetHealthDescriptions[].[Target.Id,TargetHealth.State]' --output text)" \
	"$(printf '%s\thealthy' "$source_instance")"

body=$(mktemp)
trap 'rm -f "$body"' EXIT
echo '{"id":"cli"}' >"$body"
$AWS s3api put-object --bucket locks --key cli.lock --body "$body" --if-none-match '*' >/dev/null
check "s3 conditional put refused" "$(error_code "$AWS" s3api put-object --bucket locks --key cli.lock --body "$body" --if-none-match '*')" PreconditionFailed
$AWS s3api delete-object --bucket locks --key cli.lock
check "s3 deleted" "$(error_code "$AWS" s3api head-object --bucket locks --key cli.lock)" 404
