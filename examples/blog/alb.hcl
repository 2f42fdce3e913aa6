# The seed scenario: a blog on one EC2 instance behind an ALB, scaled to two instances in two
# Availability Zones. Each setting below answers one of the ways doing this by hand goes wrong.

variable "app_version" {
  type        = string
  default     = "2023-05-14"
  description = "The version of the blog deployed on the source instance."
}

# No target: plans and applies run against the built-in simulator until this says "aws".
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

  # Pitfall 3, broken sessions: sessions live on the server's disk, so each client must stay
  # on one server. Stickiness is turned on before the second target takes traffic.
  stickiness {
    type     = "lb_cookie"
    duration = "24h"
  }
}

# Pitfall 4, empty zones: the ALB spans exactly the zones holding targets, so no load balancer
# node sits in a zone with nothing behind it (the 503/504 of ap-northeast-1c).
load_balancer "web" {
  name  = "web-alb"
  zones = "targets"
}

fleet "web" {
  source       = "web" # the Name tag of the running instance
  target_group = target_group.web
  sessions     = "local"

  # Pitfall 1, stale copy: new instances boot an image baked from the running instance, not
  # the AMI it was launched from. A new version bakes a new image.
  image {
    name      = "web-${var.app_version}"
    version   = var.app_version
    no_reboot = false
  }

  # Pitfall 2, missing IAM role: new instances get the source's instance profile.
  iam_instance_profile = "inherit"

  # The source counts as the member of its own zone.
  zone "ap-northeast-1a" {
    count = 1
  }
  zone "ap-northeast-1d" {
    count = 1
  }
}
