package discover

import (
	"fmt"
	"strings"

	"github.com/hashicorp/hcl/v2/hclwrite"
	"github.com/zclconf/go-cty/cty"
)

// renderFleet writes the fleet block: the source, the image, the profile and the two zones.
func renderFleet(root *hclwrite.Body, p *Proposal) {
	src := p.Source
	profile := "no IAM instance profile"
	if src.Profile != "" {
		profile = "IAM instance profile " + src.Profile
	}
	comment(root, 0,
		fmt.Sprintf("The source: instance %s%s, %s, %s in %s (subnet %s, %s), launched from %s, %s; security groups %s.",
			src.ID, QuotedName(src.Name), src.State, src.Type, src.AZ, src.Subnet, src.VPC, src.Image, profile, strings.Join(src.Groups, ", ")))
	fb := root.AppendNewBlock("fleet", []string{p.Label}).Body()
	renderFleetSource(fb, src)
	fb.SetAttributeTraversal("target_group", ref("target_group", p.Label))
	comment(fb, 2, `Sessions on each server's disk or memory: the safe assumption, since AWS cannot tell. If they live in a store every server shares (a database, Redis), say "shared".`)
	fb.SetAttributeValue("sessions", cty.StringVal("local"))
	fb.AppendNewline()
	renderImage(fb, src, p.Label)
	renderProfile(fb, src)
	renderZones(fb, src, p.Zone)
}

// renderFleetSource names the source by its Name tag when no other live instance has it.
func renderFleetSource(fb *hclwrite.Body, src Source) {
	switch {
	case src.Name != "" && src.NameUnique:
		comment(fb, 2, fmt.Sprintf("The Name tag of %s, the only live instance with it.", src.ID))
		fb.SetAttributeValue("source", cty.StringVal(src.Name))
	case src.Name != "":
		comment(fb, 2, fmt.Sprintf("The instance ID: other live instances share the Name tag %q.", src.Name))
		fb.SetAttributeValue("source", cty.StringVal(src.ID))
	default:
		comment(fb, 2, "The instance ID: the source has no Name tag.")
		fb.SetAttributeValue("source", cty.StringVal(src.ID))
	}
}

func renderImage(fb *hclwrite.Body, src Source, label string) {
	noReboot := "no_reboot = false reboots the source for a consistent disk (EC2's default)"
	comment(fb, 2,
		fmt.Sprintf("Pitfall 1, stale copy: new members boot an image baked from %s as it runs now, not the AMI it was launched from, %s (\"launch more like this\" copies settings, not the disk).", src.ID, src.Image),
		noReboot+": while it is the only healthy target that is an outage, which plan marks OUTAGE. Set true to image it running instead.")
	ib := fb.AppendNewBlock("image", nil).Body()
	ib.SetAttributeRaw("name", templateWithVar(label+"-", "app_version"))
	ib.SetAttributeTraversal("version", ref("var", "app_version"))
	ib.SetAttributeValue("no_reboot", cty.False)
	fb.AppendNewline()
}

func renderProfile(fb *hclwrite.Body, src Source) {
	if src.Profile != "" {
		comment(fb, 2, fmt.Sprintf("Pitfall 2, missing IAM role: new members get the source's instance profile, %s (%s), and a member without it gets it attached.", profileName(src.Profile), src.Profile))
	} else {
		comment(fb, 2, "Pitfall 2, missing IAM role: the source has no IAM instance profile, so new members get none either. If the app calls AWS APIs, name its profile here instead of \"inherit\".")
	}
	fb.SetAttributeValue("iam_instance_profile", cty.StringVal("inherit"))
	fb.AppendNewline()
	comment(fb, 2, fmt.Sprintf("instance_type is left out: members get the source's, %s. Set it to launch another type (the members are then replaced by a rollout).", src.Type))
	fb.AppendNewline()
}

// renderZones writes the source's zone and the second zone with the reasons it was chosen.
func renderZones(fb *hclwrite.Body, src Source, z ZoneChoice) {
	comment(fb, 2, fmt.Sprintf("The source's zone: %s counts as its member.", src.ID))
	z1 := fb.AppendNewBlock("zone", []string{src.AZ}).Body()
	z1.SetAttributeValue("count", cty.NumberIntVal(1))
	comment(fb, 2, append([]string{fmt.Sprintf("The second zone, %s: %s", z.AZ, z.Reasons[0])}, z.Reasons[1:]...)...)
	z2 := fb.AppendNewBlock("zone", []string{z.AZ}).Body()
	z2.SetAttributeValue("count", cty.NumberIntVal(1))
	if z.Subnet != "" {
		z2.SetAttributeValue("subnet", cty.StringVal(z.Subnet))
	}
}

func profileName(arn string) string {
	if i := strings.LastIndex(arn, "/"); i >= 0 {
		return arn[i+1:]
	}
	return arn
}
