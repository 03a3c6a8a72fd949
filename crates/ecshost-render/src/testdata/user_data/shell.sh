#!/bin/sh
# Managed by terraform-provider-ecshost: ECS container host user data.
# Puts the credentials address on the loopback device, runs the ECS agent on
# its own bridge network with the endpoint made reachable, blocks docker0 tasks
# from IMDS and reports a self-check on the serial console. ECSHOST_ROOT
# prefixes every written file (default: the real root).
set -eu
ECSHOST_ROOT="${ECSHOST_ROOT:-}"
ECSHOST_ECS_CONFIG="${ECSHOST_ECS_CONFIG:-$ECSHOST_ROOT/etc/ecs/ecs.config}"
ECSHOST_LOG_DIR="${ECSHOST_LOG_DIR:-$ECSHOST_ROOT/var/log/ecs}"
ECSHOST_DATA_DIR="${ECSHOST_DATA_DIR:-$ECSHOST_ROOT/var/lib/ecs/data}"
ECSHOST_ETC_DIR="${ECSHOST_ETC_DIR:-$ECSHOST_ROOT/etc/ecs}"
export ECSHOST_ECS_CONFIG ECSHOST_LOG_DIR ECSHOST_DATA_DIR ECSHOST_ETC_DIR
write_file() {
mkdir -p "$(dirname "$1")"
cat >"$1.ecshost-tmp"
chmod "$2" "$1.ecshost-tmp"
mv -f "$1.ecshost-tmp" "$1"
}
has_systemd() {
[ -d /run/systemd/system ] && command -v systemctl >/dev/null 2>&1
}
run_scripts() {
sh "$ECSHOST_ROOT/opt/ecshost/ecs-loopback.sh"
if ! sh "$ECSHOST_ROOT/opt/ecshost/ecs-agent.sh" start; then
echo "ecshost: agent start failed" >&2
fi
if [ -n "${SELF_CHECK_SCRIPT:-}" ]; then
sh "$ECSHOST_ROOT$SELF_CHECK_SCRIPT" || true
fi
}
SELF_CHECK_SCRIPT=/opt/ecshost/self-check.sh
unpack() {
u_s=$(base64 -d | gzip -dc)
eval "$u_s"
}
# The two large scripts are packed in one gzip+base64 stream (see unpack); the units say what they do.
write_file "$ECSHOST_ROOT/opt/ecshost/ecs-loopback.sh" 755 <<'ECSHOST_EOF_1'
#!/bin/sh
# Managed by terraform-provider-ecshost (compacted copy).
set -eu
IP="${IP:-ip}"
ADDRESS=169.254.170.2/32
DEVICE=lo
"$IP" link set dev "$DEVICE" up
if "$IP" -4 -o addr show dev "$DEVICE" | grep -q " inet $ADDRESS "; then
echo "ecs-loopback: $ADDRESS already on $DEVICE"
else
"$IP" addr replace "$ADDRESS" dev "$DEVICE"
echo "ecs-loopback: added $ADDRESS to $DEVICE"
fi
ECSHOST_EOF_1
write_file "$ECSHOST_ECS_CONFIG" 600 <<'ECSHOST_EOF_2'
ECS_CLUSTER=prod
ECS_DATADIR=/data
ECS_ENABLE_TASK_ENI=false
ECS_ENABLE_TASK_IAM_ROLE=true
ECS_ENABLE_TASK_IAM_ROLE_NETWORK_HOST=false
ECS_LOGFILE=/log/ecs-agent.log
ECS_LOGLEVEL=info
ECS_RESERVED_PORTS=[22,80,2375,2376,51678,51679]
ECS_UPDATES_ENABLED=false
ECS_AVAILABLE_LOGGING_DRIVERS=["json-file","awslogs","syslog","none"]
ECSHOST_EOF_2
unpack <<'ECSHOST_EOF_5'
H4sIAAAAAAAC/8wZf3PaOPZ/fwrVmy0htzI2SUhK1p2jgaZMU2CAXPem6THGFuDGWK4kkuay+e77
JNvYjkPZtLudnbRgP73fv/QkbpgvyGTmBwTpO53T0Zv+aDwZ9vvjGo1Ejbh8Qbn6xs6chMLgCx0d
HR6iX3+tpNid/uvJfkX76Vlt6oc1vtB+Qu+cENA9NL1FgjDmzChb4ojRa98jDCdc0a5Ll5HjCkB0
aXRbNTROBMJkpbX7p287Q1vfuYufmtij7hVh97rWG3V643hNPcrFkINqajXV6X2rO56MOqf9Xnsk
UR+DN7FVN4GmOxi3Xp13FF7yDGt+JJxpQLhCaOQxGhlKI8HJBMP3BLi/7p5J5DK0iWtEuNKh8r/h
0nDmz3P0w4vepN1V5j0AAeW1w2psFebQz/tnGXoGytADOpeCciTt1riV0hRhGZE/VRp6jnDyto1P
M8ICKLMqh356NuxfDFKKMhSI+C2vzXjNnTO6ivKk5/2L9qTb64L1ndHF+Vhy2LiY09oN6MpTetcY
4atAGJ84DWXatN517HUaa73O+H1/+DYH6b/vTVLoLeFap9ce9Lu98eRieG4vhIiatZrVeGHUDw8M
68g06s1js3Zdr7mMeEDvOwGvaXGMJ6M3rfphw34x9faPD73DqeXWj44OLO/Ane0f1184zpHnzQ5M
89DcP3bdhuc1ptbxwYFTb3j1Q+IeWvWj2XHD0lrtNlg4sgtytUF/OLaPTa111gH11Nuh1Th6ob0a
dttnHTsuFVPrvmuPJv85yKjj7wTesGeeaTaJW282JXTcGr2dnL5pdXt24mh8Ouy0QUS3dT7SzgYX
k9HFQEkLqeZEUXA7WRLhSF9P5iuHebtVdKfpO2kJ6QjfINxDcQXji1FniOovax65roWrIEC//44E
WxHNn6Fn6CHZaYEM+4AQWwfLHrwkttX26wD4hNrD/iDP/ASJBQlLynQLXK0/x1eb+VLHD7C6+5Dh
CL3uD9+3hu2iZYgTD+EQ1aOqjp7ZSMetFBG45pXQ0cdE15uFH5CSH9ob6IrGehQ15WdIyiavGVgP
WCR2lX0vEHNUCAbDDtTquNs7+74IlHl3c7yfGAfJsZFnGSJ8XnBNpgQo9NyKNclMbTw9zxo1q368
zczGtkzbzrkQksaWmHyntt8elbLO8O9eKzaDScSI3JVVU/iLqxs9f659czluqUbJ+28pCPAQI+6C
uFePtU2I+uP+S0LGiFixEJng6kd7rwasKdJTIFbApqRFUi80DWBTQDcOR0ufcz+co90dq3qCGMGS
nU88Hb18XgclbxzhLh5RcYP2SOFjLhwm4tyFoW7phODwa+RNVxwvaegLyh4vyw16h7RAe4JmPiM3
ThB4yOewKmKxENZdaaLwl4RJW5SGvKpsKfisoAnG/JYLskS6uI2IXeH+PHSCyi++HCJnjgsgyubG
jHiUORGjn4grjNeJBm2r8suSLKeE2ZUhCajjEa+ib2PFCPEIvxI0MtqvVjxj0XOWpH8TEna6cMI5
sPrFYXNziwL6g/yO9w5GHPA6Q4EfErkbaK7DCdqRr8gPtVi1vURwqvoekBdXHmq0V9V820z2J1l2
vo4wPFom+ijFbEiMLGQaDwiJkAVsdnZ3ffQvZFWrmtqtTk60vSqCT8IdV4E2JEQhfiQExQsxtrT7
pCxgLaLg/YkXOnHziXzPlq0irnMdXMEj8CfCM1S5uzNGwhHEGPje/X0FjJNzol6NN3z8fwAAObQF
Oa18SN9sZK63bZivke7SUDg+uAwp+jRHYVQPodT0TMusvydnF3ClSNni8JGtGKwodh6gxj4KKMIR
Em6EMAaDmWSSzYNxA+q1xrAqKPYIFz4w8ilIgNnSMOHPahYIyrvEE3Vs/e06gvfWYRYOv5r4YbRS
Md40Q3Z7g4vxI606matlqy6ruFaudXraGYz/zFiZCLK+U1ScTDEvx3VJJDhKuCH8EqW8moou7nzx
rC+P1l9uUeSIRbXsprQSSq5Tm2ju3CMz+5bwONvX3VMdjyZ+tKmI9Lu7XR8q8gsyekTcUHY1IkJA
3vP0naNLfSeRcalXje6g5XmMcH5/r6cll3dzVcpfi9X1pJGlENnMdB361t6HZyZ+YXzck8+GIb+M
+LmakNMrO6RIdhlD/eXgYKhaKKHKVpQO/OmS9ExIi0UP793B9QFyYlsQnSXVDxmcWot2wfJUbzAd
6MH7HK14MXR6frMC4RsbASxkB7U0ozZXUia8UEnbh6lM5KgoUu42LsJBFZDIZ1RPJqbtfetba6Mg
vqB5WXDJQSWhmUOk1C39aYmgsYeCOe4VoLiCy60i9bQrKPPnHhdFQ/Irj1f5k02geRP4RhP4DzRh
e/5sS5x9lThbTgZfi355MN6Uhb0Sk9IlxCbS10XSTWitv6Ys423sx9dS5s0NsssHw++XDgF7+mVR
ieLpsd0e1NY/v4eUdf7nN404u7+34Lff6ZXzLN6v5c6rjGh+ZaiaU8KRoOjRAkV+qE7UsG2HJNBh
ypL3whM38EmYzqH546+7YsFXjr1qXSMBEN3MiUAYXxPGoT88ON3NGYFQfUaVs94Feg+YlRwTRQpM
CpIV8GuS4TR1O6VfcELMSQwOaUjAX4lhyqLFZGnv1OFrZe/sw5ewdw7S6ciSYxFOpyLElQ0nSPJL
XvIHHR3jkAgbqORxPpnpIkan6nQqfVGF4P5bj90GyDSeait7FZnBeAnMQD5E/Tf1tISnN6jyG3Zu
OCZuHa/PjIJekRALEWBOIJM93kQNsyKzpYLejMeDyWjcGl+M7J/v4vhRj6izHxhZ6iBNeUaVbqqC
8XQF+u8qJSVIKZnM3hAfPF5rKGQijmAdxAsSCkxDTBhTdw+g5oJ6dmoCXhDHI8x+iiF9hDN1n1vV
WNGFsgQUjJgfCjjd/swvQ2mXUlzP7sEqvPY/tCc9cVn7kEzQl7vy6WP2cVk19mqXVi2qAKFw/EBS
WlUtY170Jc8kwcNdrEwTm6Z5r0sf5lMuPl+nUXxmo7POOE2jtYA8d5mYlTjL81FQFz/wGvs9Dcp/
EZ3NICBlP+UllE2om2Zmg6qKJ7nU+KEenfnJ5clGd63PMveaqrL0akR1qqT8dmUBIKz8r+r5sCqL
ca9Hu143HJLPK8IFCFHdQbVEJKXmZR2YZrIut4kVh/cSDqgsj2UPVUzoViEjjruQv6QqygRMIVYs
ZwRbhZO4K6+vW5Ql2aEUMJBKi0tNNhtnSbLf9xKgRwSISl780E/hjKgbTFArpY6PriUG0Woa+Hxh
P/wpsKl+gnuAlN1jyNXj+DPB4bfcFYENcgw/uj5QvwQbThAYDAJOJgF1nQAWbSvFJ+4f7Vttb9vI
Ef6uX7HZkxtTZ1qW7KQtW6fApT40bRIfzteihRMITET7COsNomRfztZ/7zOzO9xdvthyEaD3wUhg
kcvZ5czs7LxzjVr9lxh1+eNJ+imbHI/zgphmAa7nkzUortWNN4nUjVsApWIMQBjKNiApEQOKdFMz
mBSEASUF4RZAqQMzbFgHtjOy2XVMfQnHTWX0jQUCwvF4mV9DgVKhlye4R8yrafqLWeeo4UGR/5ph
L6fyiPmaz/dti4Ktz8fFz+nXKOjyW1g4PuMNy30ofK6zp9P0VyBfyloySVcQSPIwgCxJuU2L+n0Y
cGN6Lmmfr0ZoshiZpALN4KTteraCmvHTNhfzul8wnoep2fyizPNeZuplJdlpXiE5znRW3GTLapZT
Ur6c0gV+2axYL7ORPVTiKrWlnxAYqmce1naaJJ3wRGa0+Dj1qajSkw8bW2FRn5b5GLSFKzmz33nk
yw1nzEvG5RSBtCm5Um2N8mKEw7wUr5H964dz1D+adPJmo25vbcLtNYvn/lsS20LpNsHVyG23Jtpk
2ziKZ1S4SEahk+oGDQ3Ig4MMVpROB8tmNlF3f45c8uPqJl/9TJDKTlMG+fWSo+UgN+Zr+ynYI1RV
BaEM/owfytJmwFu7SFwpXnxXp7VaJyUPdJ4kyzntfpPxIlNVlyHmLmSowi4th7w0lcx3NuyQHC8O
iQgOK5Qlm4QPuMEJoKEvACT8RhcdWcfAgJMvYKz+nbPukUG0XCFYwOqDQu3aJSK3fWG1RxTAllLf
IsGyz9xnwVf/c2VGEDLsY92Hu6bGMScp93Ai1I4qvVgRErdm9U3AoLriHMomQiubK6jmYRSJPi3z
+iPUMTlQqyb8iTFh2MsI2WJvex4aamo6HrEU0rJVy2KY9EyOUtUsVzgjteYGyJDq6dU4R2y0kEWd
U6JlSFwQGQv9Dd1cFQ/tjuyw18tkbY7rwuF2yMvFesSmUpiIGYoGllNWScxKAkVsxxOtb7zMLvMC
+0xCpjCnoLNfVZhNhcrKhlaOut0UCC1tidsgq9VminohT3968/1/Rmd0lNAQtzGtDH5OwNS8xzFw
zy++tFjOClAcU1GZfhc5haxdLQeOCEM8EpotQtvVUBsPYPYLSzOr/C4toDs0pLS5EVIzZhKR27ix
2/BQJHm+qIQJNEQh+uHBQ9bj0dZmw+qT9mOQmJ6IjSYlypeRkp3jKArbaUZwQfeWZjNmb2icCY5U
ExvwWKrvUVsZnnsjqrzBPG6giBT/NCxLTIqUcJDjMruj6wLCDufzQDEpd0D/zqJ7x9PvLCZ3vPYd
zbebPOyI8g96hzs3WzUhF9nkIuaV27qQj75iF3J7EzJ3BJtWYOoB3ronGYrv7NR2EVfHkpglCqel
mIMLfLNafTk78Ob/8OPpdyejN++QkOQl6sNJbLMsNoDwJhsSoEJP3p2+H/397PQ9rdH+1Hb0Gorh
1mRovpBeWri178+4r1ciyz407Kx4sJP6gYbWv578683rk+PJ/PHdut+9BQV89Yh23S0bZp+yvE9Z
3qcs71OW9zed5X1qwN2qATctYGGPtUZszN6lG+raq+6tvUi+3dt8gPr7oBP8DD9g0qY54DZRXjb2
EusDaLstc+ASB9Wy5r3ymcmoB6Cy6fliODNGabSE1t3H7wyhP1wdNVI5wQ7VoTqiHAA/QkCJH9VT
yOeobxGQYt7Ozn5vE0W8BA9809vf+N2YXUwh6mfDfOFlI7EWCH31Sg2P1O+w4Iso2i/HBi/rY38I
h+SOly5GnLDXmi6voT2PKdu56HZ5YM3vrTUYk6A0eeMhlDNPLdZyNh9BBKDl84X4bUF4CgSoixbM
My+Mj1Q858YvBR/yRmFNEcZKgo2mfs7HxFe7yDc9hb8rtQkf4Qr7oHobK0B2CLDSu9Zn9UIyJPeD
oVE5kREPR4bJbsbF+hPe5CgRqcHalzfea/u9DZOYzcpBiECfB1MQjb3aJTkDjTxVR8Bid3cA91vt
Hg5VrMzsKMLlQP7ythUZ2cDd9nSqQdWmfJbUcIyspsSMaBBEHoi67KRhkHKf2Yx6dcM8pkGsr/2c
l43FVNciopmZuN8lOTbEpDrqa5wsoZR+GX3LU+CXpVdBh7ITVRtBxKwU4m437g68Hh6mdVaQmODe
TmroaAhEX3aQp1ZkEIwsPe++LEgvtK+DdF3J28wR0oq60hVdqkWGGJxmKNwdWNwcXqx23TJw7Pxl
pimlNTwZXy9oQt3vwxStKutM5tuA82li7Kv70zXSpemYMfJbv5qht3k519z47ePsIqXM53WeluLe
0GqGB+P5jac5iE9eN7oAuFJHPPO5LW6QwxdvnngsDyyXL04AaxEnT5CAokMX6cJlulAWI3Xy7zc/
mZHnHJQP4C7/8weFtKUCd951cFSWE2jOEbu8I1tkZOPGZmVBZqWPh5+NRurxWZNs7ueUe8X7pH4D
7Njym0hrLORLFXq1VM8/wC2jf3/m2dMxeBKSZyrTgp1xyI8vUjhw3POrwyeKn+i6DZWjDA7xaTZx
1wkCr8oK+vw8KZAYyJKPH3uJf8NLk9vWHj7r0PMg9txnOkzkq1tCQm0shtdupUQm00meFseLtCjY
lbX3F3A7ycNRfEutyhSbJPIaol1SZwwru8eKDPvEIaJskgMtrvIFLysjgIuNE2TfvkLycLEKvhax
Y6Acp+rQfjIigNC49tKUHhvbEhDRtzUmONyYBaysO00dCg7wJl3OQiIkZgGct0KkbCo+UP7CKZlM
zCIOCrNUlT3GN6RYmPPc8/G9hb6/wZyYmp70zr/DjPuqd7yizbMLcjQGxPxSJbf03/JTV20V40s+
dzBRlCCI2jBdtgwkiXQncOG4E7xgWGlaOOHlWfjCSIXlSnDnRE4lK//g13HhQ4dd5YFDLxyndL58
Bgf0eGoTGP+NEXYCqKImhYbWmrajpEW/WoDwKUsr41N9wDSyUJncLn37YZGYjosRf++XGdZaI6X1
vcfcQvknGuDseivxk2ElbezDJkiHB9TaPNHqAG7sJXLoEg2q8bQ6GDmublpwXmm2Dy477MD5Ki5P
Ysfp/4rIPQt2ihfxWOnvfjZxn4cx10zYapk1lPxDlVn0WY+2qckyWDWJ2n66yPucB8IJjzqXWY3P
7VNJSGOuO2Ou2wSgKHEpFgEyYjJ8ophfdVIZk1img95wMaD3iMUA7S9VZOEkJ8jiJ4VclaGGdLcF
8LTpFHpHdGrznOYQUEQ77CWLY6r6SCuYaMvGZSUrxfnBF5yTkoNBLxHD9pdEjsVgeP7i5e8/JuS7
DA7Ph0d/xDV5J9UDw76NgqwrXT88W4g/86Qu/y369usz45CZUZfexzPmIDHMgCJECt36dQjrepJX
6feiLQTSckRE0hr7mkyK2W+RTeGV8LFkOPGStK4AqHA7ZD55BDLXf7dMZ9Fu3SFVJSpc1y0dWg1a
hRTqvcgT8QLQZHWceQwfKv4r5hH/jQ9AWPJGPOJD3HZ3h9Y4aLFjj8/7OAydb+vGnHcrSSGQvu2H
wdW1+DImzcz8C0ypCaZoif6soFLa1rbiRVQxtpVMd+ShUEp1PQcZGotWtLa2Q8BL11jsTLkbY+Mw
n02+MFOaeYZdwB3biIa+4khVJjFnnL5jgluAltkF5YX8k46vQKmQz4FuoXI67xxDad/nx3Xg39JA
6Crq+tELjll46BncYaf9gLqoRRhAkQPQPykJYaks61UvbvW1TgZ7en6lk51iT3PJvNDJrTakJHqn
0HtayJH7gCQZDMmS0ZA0GS3JkwGfRBlzZJqRzZ62+XYguFPg1n5PKxPoYyJDBx93O+s5ddJ2QeH/
ZYNwJ0i7r6C0fPJUaqaow1ljLSby7OTt9/gq6eT1P1SX9kx3qgUngtcsfNIJABHsVpsFnHzEN5hk
QZ1JalxVvXKQjZ/JiTSdK8NYaafrBB0Wnf8CCnh1WzFOAAA=
ECSHOST_EOF_5
if has_systemd; then
write_file "$ECSHOST_ROOT/etc/systemd/system/ecshost-loopback.service" 644 <<'ECSHOST_EOF_6'
[Unit]
Description=ECS task credentials address on the loopback device (terraform-provider-ecshost)
DefaultDependencies=no
After=systemd-networkd.service NetworkManager.service network-pre.target
Before=network.target docker.service ecs-agent.service
[Service]
Type=oneshot
RemainAfterExit=yes
ExecStart=/bin/sh /opt/ecshost/ecs-loopback.sh
[Install]
WantedBy=multi-user.target docker.service
ECSHOST_EOF_6
write_file "$ECSHOST_ROOT/etc/systemd/system/ecs-agent.service" 644 <<'ECSHOST_EOF_7'
[Unit]
Description=Amazon ECS agent on its own bridge network (terraform-provider-ecshost)
Documentation=https://github.com/aws/amazon-ecs-agent
Requires=docker.service
Wants=network-online.target ecshost-loopback.service ecshost-metadata-guard.service
After=docker.service network-online.target systemd-networkd.service cloud-final.service ecshost-loopback.service ecshost-metadata-guard.service
[Service]
Type=notify
NotifyAccess=all
ExecStart=/bin/sh /opt/ecshost/ecs-agent.sh run
ExecStartPost=/bin/sh /opt/ecshost/ecs-agent.sh reapply
ExecStop=/bin/sh /opt/ecshost/ecs-agent.sh stop
Restart=on-failure
RestartSec=10
RestartPreventExitStatus=5
TimeoutStartSec=600
TimeoutStopSec=60
[Install]
WantedBy=multi-user.target
ECSHOST_EOF_7
write_file "$ECSHOST_ROOT/etc/systemd/system/ecshost-metadata-guard.service" 644 <<'ECSHOST_EOF_8'
[Unit]
Description=Drop docker0 -> 169.254.169.254 in DOCKER-USER (terraform-provider-ecshost)
After=docker.service
PartOf=docker.service
[Service]
Type=oneshot
RemainAfterExit=yes
ExecStart=/bin/sh /opt/ecshost/ecs-agent.sh guard
[Install]
WantedBy=docker.service multi-user.target
ECSHOST_EOF_8
write_file "$ECSHOST_ROOT/etc/systemd/system/ecshost-metadata-guard-recheck.service" 644 <<'ECSHOST_EOF_9'
[Unit]
Description=Re-apply the docker0 IMDS block if missing (terraform-provider-ecshost)
After=docker.service
[Service]
Type=oneshot
ExecStart=/bin/sh /opt/ecshost/ecs-agent.sh recheck
ECSHOST_EOF_9
write_file "$ECSHOST_ROOT/etc/systemd/system/ecshost-metadata-guard-recheck.timer" 644 <<'ECSHOST_EOF_10'
[Unit]
Description=Re-check the docker0 IMDS block every 60s
[Timer]
OnActiveSec=60s
OnUnitActiveSec=60s
AccuracySec=1s
Unit=ecshost-metadata-guard-recheck.service
[Install]
WantedBy=timers.target
ECSHOST_EOF_10
write_file "$ECSHOST_ROOT/etc/systemd/system/ecshost-metadata-guard-watch.service" 644 <<'ECSHOST_EOF_11'
[Unit]
Description=Re-apply the docker0 IMDS block after firewalld reloads (terraform-provider-ecshost)
After=firewalld.service docker.service
PartOf=firewalld.service
ConditionPathExists=|/usr/sbin/firewalld
ConditionPathExists=|/usr/bin/firewalld
[Service]
ExecStart=/bin/sh /opt/ecshost/ecs-agent.sh watch
Restart=on-failure
RestartSec=5
[Install]
WantedBy=firewalld.service
ECSHOST_EOF_11
write_file "$ECSHOST_ROOT/etc/systemd/system/ecshost-self-check.service" 644 <<'ECSHOST_EOF_12'
[Unit]
Description=ECS host self-check: one ECSHOST_SELF_CHECK line on the serial console (terraform-provider-ecshost)
Wants=ecs-agent.service
After=ecs-agent.service
[Service]
Type=oneshot
ExecStart=/bin/sh /opt/ecshost/self-check.sh
StandardOutput=journal+console
[Install]
WantedBy=multi-user.target
ECSHOST_EOF_12
    systemctl daemon-reload
    systemctl enable ecshost-loopback.service ecs-agent.service ecshost-metadata-guard.service ecshost-metadata-guard-recheck.timer ecshost-metadata-guard-watch.service ecshost-self-check.service
    systemctl start ecshost-loopback.service
    systemctl start --no-block ecs-agent.service ecshost-metadata-guard.service ecshost-metadata-guard-recheck.timer ecshost-metadata-guard-watch.service ecshost-self-check.service
else
    run_scripts
fi
