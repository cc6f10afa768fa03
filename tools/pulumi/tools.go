//go:build tools

// Package tools pins the Pulumi CLI's main package into this module's build list,
// so `go build github.com/pulumi/pulumi/pkg/v3/cmd/pulumi` resolves at the pinned release.
package tools

import (
	_ "github.com/pulumi/pulumi/pkg/v3/cmd/pulumi"
)
