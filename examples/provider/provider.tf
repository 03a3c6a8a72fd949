terraform {
  required_providers {
    ecshost = {
      source = "ecshost/ecshost"
    }
  }
}

# The render data sources need no configuration and no AWS credentials.
provider "ecshost" {}
