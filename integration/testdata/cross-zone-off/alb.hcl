# The blog example (examples/blog/alb.hcl) for a target group with cross-zone load balancing
# off. AWS does not support stickiness on such a group (ALB guide, "Cross-zone load
# balancing for target groups",
# https://docs.aws.amazon.com/elasticloadbalancing/latest/application/disable-cross-zone.html;
# the simulator answers ModifyTargetGroupAttributes with InvalidConfigurationRequest), so the
# blog spec stops at enable_stickiness on the copy; this one keeps
# sessions in a store every target shares and asks for no stickiness, so the plan runs to
# the end. integration/rehearsal_worlds_test.go rehearses it on the blog world with
# load_balancing.cross_zone.enabled=false.

variable "app_version" {
  type        = string
  default     = "2023-05-14"
  description = "The version of the blog deployed on the source instance."
}

cloud {
  region = "ap-northeast-1"
}

target_group "web" {
  name     = "web-tg"
  port     = 80
  protocol = "HTTP"

  health_check {
    path = "/health"
  }
}

load_balancer "web" {
  name  = "web-alb"
  zones = "targets"
}

fleet "web" {
  source       = "web"
  target_group = target_group.web
  sessions     = "shared"

  image {
    name      = "web-${var.app_version}"
    version   = var.app_version
    no_reboot = false
  }

  iam_instance_profile = "inherit"

  zone "ap-northeast-1a" {
    count = 1
  }
  zone "ap-northeast-1d" {
    count = 1
  }
}
