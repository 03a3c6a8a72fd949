"""Plays, against the main job's local emulator (moto), what a real account
would do around examples/complete: an ECS cluster exists, an Auto Scaling
group launches instances from the template, and their ECS agents register
(not every one: one host's agent never comes up, one host is being drained).

  python emulated-fleet.py ENDPOINT cluster NAME
  python emulated-fleet.py ENDPOINT launch TEMPLATE_ID CLUSTER COUNT

Runs with the moto virtualenv's Python (boto3 comes with moto[server]).
moto does not copy a template's metadata options to the instance (real EC2
does), so RunInstances passes what EC2 would have copied: IMDSv2 required,
hop limit 2 (docs/guides/testing-against-moto.md).
"""
import json
import sys

import boto3


def client(service, endpoint):
    return boto3.client(
        service,
        endpoint_url=endpoint,
        region_name="us-east-1",
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
    )


def main(argv):
    endpoint, what = argv[1], argv[2]
    ecs = client("ecs", endpoint)
    if what == "cluster":
        ecs.create_cluster(clusterName=argv[3])
        return
    template, cluster, count = argv[3], argv[4], int(argv[5])
    ec2 = client("ec2", endpoint)
    out = ec2.run_instances(
        MinCount=count,
        MaxCount=count,
        LaunchTemplate={"LaunchTemplateId": template, "Version": "$Latest"},
        MetadataOptions={"HttpTokens": "required", "HttpPutResponseHopLimit": 2},
    )
    ids = sorted(i["InstanceId"] for i in out["Instances"])
    arns = []
    # The last host's agent never registers.
    for iid in ids[:-1]:
        doc = json.dumps({"instanceId": iid, "region": "us-east-1"})
        ci = ecs.register_container_instance(cluster=cluster, instanceIdentityDocument=doc)
        arns.append(ci["containerInstance"]["containerInstanceArn"])
    # The one before is being drained (a scale-in would do this).
    if len(arns) > 1:
        ecs.update_container_instances_state(
            cluster=cluster, containerInstances=arns[-1:], status="DRAINING"
        )
    for iid in ids:
        state = "registered" if iid in ids[:-1] else "no agent"
        if len(arns) > 1 and iid == ids[len(arns) - 1]:
            state = "registered, draining"
        print(f"  launched {iid} from {template} ($Latest): {state}")


if __name__ == "__main__":
    main(sys.argv)
