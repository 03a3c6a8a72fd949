# Import by launch template ID...
terraform import ecshost_launch_template.hosts lt-0123456789abcdef0

# ...or by name. On import the provider explains whether the template's
# existing user data already follows the design.
terraform import ecshost_launch_template.hosts ecs-hosts
