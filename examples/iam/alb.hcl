# The documented input of docs/iam-policy-plan.json and docs/iam-policy-apply.json: the blog
# of examples/blog, against AWS, with an apply lock. The policies are what
#   albctl iam-policy -for plan examples/iam
#   albctl iam-policy -for apply examples/iam
# print (a test regenerates them and compares). LOCK_BUCKET/LOCK_KEY and the role of the
# inherited instance profile are placeholders: docs/security.md says what to put there.

cloud {
  target = "aws"
  region = "ap-northeast-1"
  lock   = "s3://LOCK_BUCKET/LOCK_KEY"
}

target_group "web" {
  name     = "web-tg"
  port     = 80
  protocol = "HTTP"

  health_check {
    path = "/health"
  }

  stickiness {
    type     = "lb_cookie"
    duration = "24h"
  }
}

load_balancer "web" {
  name  = "web-alb"
  zones = "targets"
}

fleet "web" {
  source       = "web"
  target_group = target_group.web
  sessions     = "local"

  image {
    name      = "web-2023-05-14"
    version   = "2023-05-14"
    no_reboot = false
  }

  # The role behind the source's profile is known to IAM only: the policy names it
  # ROLE_OF_INSTANCE_PROFILE (albctl iam-policy -role ARN gives the real one).
  iam_instance_profile = "inherit"

  zone "ap-northeast-1a" {
    count = 1
  }
  zone "ap-northeast-1d" {
    count = 1
  }
}
