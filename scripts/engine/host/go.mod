module fleetgate.local/engine/host

go 1.18

require github.com/pulumi/pulumi/sdk/v3 v3.68.0

replace golang.org/x/text => golang.org/x/text v0.3.6
