import {
  to = ecshost_launch_template.hosts
  id = "lt-0123456789abcdef0"
}
