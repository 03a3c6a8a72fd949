#!/bin/sh
# Managed by terraform-provider-ecshost: ECS container host user data.
# Puts the credentials address on the loopback device, runs the ECS agent on
# its own bridge network with the endpoint made reachable, blocks docker0 tasks
# from IMDS and reports a self-check on the serial console.
# The two large scripts are packed (gzip+base64, see write_packed); the
# units below say what they do. ECSHOST_ROOT prefixes every written file
# (default: the real root).
set -eu

ECSHOST_ROOT="${ECSHOST_ROOT:-}"
ECSHOST_ECS_CONFIG="${ECSHOST_ECS_CONFIG:-$ECSHOST_ROOT/etc/ecs/ecs.config}"
ECSHOST_LOG_DIR="${ECSHOST_LOG_DIR:-$ECSHOST_ROOT/var/log/ecs}"
ECSHOST_DATA_DIR="${ECSHOST_DATA_DIR:-$ECSHOST_ROOT/var/lib/ecs/data}"
ECSHOST_ETC_DIR="${ECSHOST_ETC_DIR:-$ECSHOST_ROOT/etc/ecs}"
export ECSHOST_ECS_CONFIG ECSHOST_LOG_DIR ECSHOST_DATA_DIR ECSHOST_ETC_DIR

# write_file PATH MODE < content: atomic replace
write_file() {
    mkdir -p "$(dirname "$1")"
    cat >"$1.ecshost-tmp"
    chmod "$2" "$1.ecshost-tmp"
    mv -f "$1.ecshost-tmp" "$1"
}

# write_packed PATH MODE < gzip+base64 content: decoded, atomic replace
write_packed() {
    mkdir -p "$(dirname "$1")"
    base64 -d >"$1.ecshost-gz"
    gzip -dc <"$1.ecshost-gz" >"$1.ecshost-tmp"
    rm -f "$1.ecshost-gz"
    chmod "$2" "$1.ecshost-tmp"
    mv -f "$1.ecshost-tmp" "$1"
}

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
write_packed "$ECSHOST_ROOT/opt/ecshost/ecs-agent.sh" 755 <<'ECSHOST_EOF_3'
H4sIAAAAAAAC/61YbXPaSBL+rl8x0XLG+FaAZAfbuEid1+CEWgdcgCu1tbelGqQRKBGSdjQycQz/
/XpeJCQsysllK7Etjbp7+vXpnvnlTWvuh61kqf2CPuIQL4iL5k+IEUqxF9GVEdPo0XcJNYiTLKOE
oWMnWsXYYUDoRPFTo6klhCGDpFp/fPP7YNLTa8/yqWu4kfOF0K2ujaaD0Ux+U49dI0xIyMTX4f3s
+re7wZR/zp67hh8zPA9IIgg6RYrOjqST04xuZ0L87QxEewxWBjfTD+PpzIa/9s14dDt8zwlernaN
FmFOCwzkP00nCj1/UeCfPIzs/nBSZFZLwPmIaYumYYH8bvx+n1wtKfIgWvCNCiz969n1Pk+2ljH5
c6Ghixku2ja72WdUSzurCuQ37yfjh/t9jt0qMCVPSctLWs6CRmlcZL0bP/Tt4WgI1g+mD3ezkoT9
jwWtnSBKXaF3i5IkDVjzcxIVHfbpGtimAwhGf1oUWlzvGqbV5lG+/jjogU0GZGrItNFg9mk8+b2w
Mv40srPVJ5Jog1H/fjwczeyHyV1vyVjcbbXMzmXTenvWNM/bTat70W49Wi2HEhf4fRwkLU3mhT39
cG297fQuzzvmJT49dXDnAl90Op53Ss7JxZkFr645t96enl20L6z53DQvPM8yzz3rkpyajuecedaF
e6lBwI8b6FkjzjJCeq5rM1l2Ue1ER++OLG2r4TgOnuwVYZj7yl6kmLqCTa9lRaEjY42MEZL1ZTxM
BxNkvWu55LEVpkGANhvEaEo030Nv0D7bTYnN8JGszjYyXJR7RP5tnVrI+Iz6k/F9Uf4VYksSvtBn
WBJsfrdozfMPaXo7nny6nvQFZbWtB3XJWM09ZrUbZ+gUOUJk3JU2KfjTendkqo1yRTvf61PPbbe7
xLG6XW62aV284tLO9/v0oGhuJPzfauU0smOoPMi4ynT6+bxAR0fa/xND0JNCTRDnS1Xag8errVA+
o4SlNERtbnBV7ahyyxYNsdjlvGj4sT9F8wDsRGucoJWfJH64QMc1s3GFKDG4OJ+4WWWuMXOWVSpW
a48EvZEwTJnMG2iZKxy6yHhE7jxNjFUU+iyiB1KtWu8wKvFeIc+nZI2DwEV+Al+Z3Bba8jE3kfkr
QrktQsOkIW0p+qykiWEA7jOyQjp7ikmvnviLEAf1X33eoj3swFJEF02PuBHFMBN8Jg5r3ioN+mb9
1xVZzQnt1SckiLBL3Lr+mihKAHGTLyyKm/3f0mQnYoRXZLwOCb1Z4hAGkvqvmC7aryigl4EQrZd+
QMB+DF6nKPBDcgWJrTk4IajGX5EfalK1E7VxpvoJsJe/7Gt00tBgOEIuCfATyEFtqNBTIT8JCIkB
J8Qn/VCC5KHT3Cgk2tWVdtJA8Jsk2JFL1TlQChkJ3SxFVVjNvIvAtzgCh9tuiGXVx77bqx3rNVmK
OmidxOBCZHio/vzcnDLMSPPed7fbOqjP26ze4Mn7JzK+wQKw6+gv3mD+zN56YPZfKmWhwyEdBieG
wbMUCf4sLWE6CqG69J2WO9xXwyBABsvEAiDvYwlDYAWHlPvJACaV2XD0HrgBqYIIGTFiTgz5CwZT
ht6anfNLATmj6xmsssiAJGM+CPAj2Ns6b7bhn9mVhFVI/EM6Xf/jOkn8hgyfkzyMMoJiKUpZT9e5
/wqg4qQ0OAAmO67asSAzjDCCxa9PqH5SR0aCjBV6y02qow+z2b09nV3PHqa9fz3zYcl2IpeIjDBL
BdbIRw0SgCrrBT8CGI+EJtyiciUuKFSE8Teqvx89oE9AWa9QTUkII0PqBvTGjOvFePObwieeXQD+
RhQacDjhkDVGRqbYkVnUKCEl2RwK4QmkyV3+QJHniR0OSIAISJzIpXCwOBlFQ3cYTsjfKUQPClbU
qJjkeO3CHHfWbiOdo8eJXnQlLOsZOTQFliacULAUydqcDJh1XdGmIcCXs+QHHEHNiVtCfJEtkxyB
TymSUFLFLrCF9zKf2QBetuzystP22loKs2+AivjgRS9TChDOB48e++jfyGwogNBrPtTEgqDOHiDI
LTIcwGGyJvQFEkjENCXsbTUSJikldkjYOqJfskGAb1KY7Dn4wHAPgHR0JHAk01qx5egG1ZxxVJfH
S1Y4CAAU8uKlPiQ0mlPfBduqJW022g9urqBSbOLmLDmlrP4cSW0/saFqaTa78fQhr+P4RELudoue
n31oE19R80acapt3eA71gXQ/aqoDvTrvGskSw2FHL+D/i4LPw8bDIVThgdB5zaBa6cwEvQLMEBOQ
nRuTBbPKulf6iOohaO2zpZjgFBuSyqdUQKlemm92PqIr7p7Mqr1EyKteXGMYqudx8oOHWz1Pc8mD
dMC+KEhXEJrDJ+JXDsRdGul7aqe87fxHR//VYIMQZpDdOVctujAgOEv14sNcoB5BLvd9L4wybplo
LwTE6Tzwk2Vv/0gse9E+UalTXcjfigbGR4cFPdin6cePZyKrmjDiNOEagREbZm0cwMeeqegzf+1f
qWy72ZXKIUJ1mQKEkC2HiLLbE6Dijj5Epu5KgErdlRwi3F2RAG3pikRxkPDR8GDk7FXdMG0VESis
YKXHQy4YCp+imPVW+KuUc1bxIfG/EQjVKvvEi7l3qJR/+t5C7CJi78AOtInX4oKshVf4G+/CWSp1
A0CChL1EOZGD4p6wVNB61oby/iSQgS8RF1qRHN27otvIAgHEKw9EvDoLFzswqsqGLcl5t5Z9ebNr
uA2pUy6hJEA1pwSOgFJEo4Al5fFcdaPvhuBKOM1AB45lb3ri6adGaa6QdJ9sxDvsKt6h6eU9Dnii
1KoR9hhX4llK31Y5qNDFrSyIMCLIJ5gTLJgTVHN3Vq4tkiIPeGEUkYa8KWPvrob2tM/O7FWUJc1W
X1yf8pF8J1QhiF5YyvCiuKbAQT9wu1AaVPZ7XdU5bC/plT8gpsIbuW9UB+LY/zwaz4a3f9hTnmlw
p7rV5chTGP3lsd2FyZn53tOBKWePiPcH7PK//FSo12p6afSFkb80YnC1d2fCyvwkX0WwRXuucQG6
xpeAS74oU4nwijC30qdVTsuyJorV7VWmFl/i54PT9qut/UdHga2EEwiA2ZX3OFtd3BfwxwbKQ8VB
AeInV3i75u/SSLUmX/i6sLCBquyWbOKmoIEOXBnI+xwgFLc8DVR1J8U/c69kGoJ/BHbJmKUJYCJc
OLeR0H0D+m6UfhvBvlFbb4TsDedXYbS0DP3+B8PmqqswGgAA
ECSHOST_EOF_3
write_packed "$ECSHOST_ROOT/opt/ecshost/self-check.sh" 755 <<'ECSHOST_EOF_4'
H4sIAAAAAAAC/70aa1PbVva7fsXJjYkfRZbtAG2dOrsEnIZtMAx2Nt0B1iOsC6jYkqorQ1nX/33P
uQ/5SjY0mXY6ycTSfZz3W3n5wrsKI0/cOi/h2I/8Gx7A1SNkPE396ziduUka34cBT10+EbexyKA2
iWeJP8nw4CROHutNR/AM3LlzeHLwU/+sxyoL9dR1g3hyx9Mlc45OafnotOuGCb4Ohv3BSB3Vj103
EjzK9OHR/ruP/aG6op7pYuZfTbmQB/bsE3urI3v5mcH7kQT/foSgrzNc6R8MP5wMR+ODk8HwRF8u
r3VdL+D33iSORDzlIF+y7HHYsu6fnp2864+Pjvd/7NsgrOWuezUXj1fxb92pn3FhI1eSGR/u949P
BuN/DU8GNoz1XSSIZxNPCdILfD6Lo+YvIo4Q5v7h4Vl/OOy1975vdnZ3mu1vW82Oc3pyNup913IO
+/8+Ouj3prEz2D/u91B7Lio3ypxBf/T55Owna+Xk82BsVh+5cN59RDrk06ezj73bLEu6nlfA0v2u
5d13vEnKAwQQ+lPhOUfHh8O1w+rXeXd2dIjiUmy0iITBcHx4dNbz7v3US+eRF/EsEs6MZ37gZ/74
Zu6nwThJOVlFrQ4Lh1WMLTBwH8A9ACUt99OwfwZuCBo4uAGU0HuvO+D+AodnJ6fQeSuVGs2nU3j1
agPU9ydnn/fPDuUFC4F1z1k6KfdRB6LHmPNw+yjpy5cq+qmy0A/db7aXF6zSvmBd/Olc4KWlE16j
98xmfhSAew+TeToFi7LO21ftN5Dd8shB/7viPTrg8Cneerghb3PveSrCOCrw8zvcpDwB91eo/jj4
BJ/xZLUAhe4qKBZuCfA53NqYXX1bcL0exRF3rkOHdC5FcDue9Sod/Jn3Kq/xJ+tVdojRc0DuGfTA
hUsFGWTIcN8AgdMveEgHAwbMddEgenjrDSCGiY+nKhIrhJFDwqij6v7JlODwcIybvz1CtVEFV4A7
Q2CIH3X6s3ya4dMHqP7s+g8CA1nHNYbmZvEdj9wsm7qCo9sHogt7rSrZQhU+jEan4+Fof/Rp2Nta
EJvjSRzwZVXCnLOCUbx545CA6sh3PEfSa5I+ra0odhWBqBt3lBOXQRvcIe4j5gwN3Y0jFwNvnOIS
UngbBz1DvXvLfYzCva/h4QTcFaWv2kQa0Y+0JWkYZddQ3RIXkeIGaWZoQAKjuhtBVXj/hQbxf+Gd
t9zvm5cNuKjR0+Xqn4t6s+FdtL2kihczP5zSTcSyAl6UoLAwYdBTxHTdVouiK4rPtrO6sRvJ/Yse
/NgfGePJEdjQyRiryrYLCsjCGcdXI3Klj/9AfH0tdVEWUQlDiYVOq7XiQbnC14i0+bdKFP0Ghdqo
w5PiAtznwp9gOPIj8cAxmks/Vu7WJldr2JcQLtLVKMOpQ8qzeYqUEsDCdiPfa4Eixj6qcYdJJ5J4
w3GKLt/E36jXcrD6gDHSgGc78Bp23mCEl1uVWg1/oAGd3T34BioLvLe11Wws63UFghZeNppLJ6AI
xSe3MUoHr1DcjTqhClZ6uVZDRt++hc4OvEKAu/V6M19r762vfVda0m8StBhH/oxTUsDHe/TfHsMk
m1QqcmGu8KKBvrDDL2UgVo6/8Pvv5VN5bNwcqqN4TMkniiFMACWnyykDgzlG8GQXSM00jLj0EcLu
7oAbgx8EKWCN9wCIADGqpF2IcnW6OgkDErIG8rKBOkKnWha36GlrCxpLbU16SdpUU/6RbnBJBmXe
2x3lBnVlKxZPmha4SsPghsNDmN2CH8HR6f0OiPkV4rcYNJaFKG8eLGq8hqRxyqPV4suGJxd9sqpa
pUa2iKzLq6yOxNVqbfjhB6hRCQHqdr2Oj23zr1Qt+jhGapSmKhkYIEUPcXqH7IqETzJDuItuuFik
foTPzQMM+j7KLhXL5WLRJGb2UQVc4DssFjwKlphqbOmDIsyjqiPE+rQrfUIKmMk9IoRJGeN7jWxd
MeOzusfQ+wyn9KuZUG55hbXKXe6T0m9yc9aFvyvzr1upuJiWlRkr65GlG1mPwkWXCkZjLNRyD6XY
iR9FcQZYRWKZDH4uNDomsMXgZatFGeelo5fjIloUJWiPdytCyAMxATwmHOgREo7+QDcA31qabItk
XQ5qMFSUWGBmviB3WnnFPFEX1mqWSDAowZnGX3Jc+p+ivqS6ijI8Jh1TEv/FqOXpL0CeYhLhEnvA
r/35NIP70M89QavQxHIdQ4L4ISrpMpnOb1CTUt6YdXLPtTS5NFdNODynLGfpwaR5i5OAT21l2HWX
bYP5sTUbtK0Pic8ZWTpZ6iegKYL+z0cjtVLlv4VYnmER+OkUjgYjQLkdO+hf6RTD6VhWc+MgFNRv
qqxJ+SqhfOXh5kRFt4ZKWqqUqU18MqnEo5hcDKtUHKv+JcjZV3GzlqVQvcCyg/78IG/PAoq7RQDS
5w11qtbsXWNbxhsUYFlxB+QOW0/Oxv9RQjIEqHaij/1ECQI7P+9KD+1eXja69osETWXJ0z0tKzVT
uftuTkOqkWVPdDpMZZ+Kboap1TPW6k9DX/QSXwhVqqn3ayyrqGkD+YrwrZuhADJibKsMVhIFBuIk
RmNWV7UyZTAktVEFlOssPyruwkRiMStAaYxKI5hMQ0zNOEah1gVtRpa7upr0s4zPkgyrHxXgCZNe
Q/GgU74mVGhS5iDGcv2IlRBlI2011KxggKeqmVWwi2ewq2xkEB8FR9EZ/3WOgwnMsTnFUk4yDTjl
Km6n1bIOPvhpVGItjqaPJADAkyAyP5sLeEDhCo6tXk3X9ar2vsVZkpBnr+LgEfleoayDmHLUaqeY
h7TADTaSOSkibyXXpKxqWQwcd1wikkOOqoDrNJ6BFIZsKvHvTJXuq7Rt0rXK080PmPYwS1+HN82B
yk3H1P/JBpCmKiUfxKJNQpyFQoTRjaGc1ohqmbxoyIIhjs4u5G6+1jNFwiUG68JFE5GR46WxbeJp
rBOmbeOF9ZWt28vAcqnAxNQgq4pFgEIsBVSYxyir1lzJIRFRh3Oi3P5xb/MIR++X4K3oLm3khBfX
FeUpapt6FaCJE1xNMW4az8XoK0/McQhINSF5L4HfBEpeHGe+uBubLQKDnaG8Vwz1BdatedkGATyR
I/SBEtjcmYrrwEw2wNmYUPXupuiuw0YJqBSrsnDJXuJjK6IYmAViLBnnWps6fbPn49qqEn8+hCEQ
2emAaUtUJy6jEZPVRiEi5UWEilrUp2+IUbBigjiDjeFpdSYXab705wKU6kVW8HPbtOB/SdSRacVU
Q1amLfrTi6I9ER5bac+brVQAllP/I2GTypgKJkonHTPcKOvk9BPphLzJUwNrz09CT06VMMLVnRu+
UYn2BSLFJVo8ecPoFckxkwWyLZxTGD+xDTGXaJFTX0rYEhvcoItj26dFjdUlCZrIuO+AJJdY0WKw
8CL9fzFeEsAG1pU3FnBYvmiVupZu9NKGzwj6gJWdZmhUeY564s7m8YCZiBlQGFZwppjOQDYCMvDr
7PMEWDU4k9PLXTM2k16sJovKgf/RNT7c7pzv7n172aXys/36vLPzPT6rZrPo3bI8lW7JNnu6vSjz
vnGd5/LQX8nua8OutPevZ7jVVUxijMahvS65sU1vmFmah+fW7FLzvmZLdo2+0aZWiYikk8uOJEQB
v1A2WRFM35eVkb5r415dN8XJJrnDujPZcFegC2RJtnK4xVxG+xTQc76eSHWqwCHUyquTMHiusBti
CuDN0zB4rpYjGK0n8uLXD+gsCvPmYLW21h7QCC9en+LZER7p05XkuXnrYStnpw4bwaaiT5dN6B4R
Fqw6ftk5W/WyBNyLBH2k+4NssVsv5fLS+LxukbQ5m8uJcilxPE3M85lot87WpZ/XB7ZwCiWAnmWg
7AOZYfLU0lUlp6IMR16EflseuY0TTP0zHBlokdJncxTIqvws6VrnElkdSKC6dDVlw4ZZmB7olyby
dXga+hMZ8g9xQW3FzxWfYive2dYWKedEOK9Q4amMWnKS8muaQ25GLRl+nlE7xMV3vSydczlcEUQ3
9sPUt7NCR4iLdoNDC8Vqn20ILIUoVI52BiKtMnuII9b6z/hO1eIyxMmOlb7PW1+EFuyeddvbLL5j
3S2xzSa3fHInWHfBFCtdtiXYNsvZ0e9FlvRiiS29WmJNr67Y0wsFFgtYJJtyZbnN9GdrJHBL4Kuv
ZtLmQhKnmeJDhUR1qwoXOImLpej/fgVB/tGdrQY69Ej/GYLl0bvuyK8ezGT8Yf/j+/HBh/7BT1Ah
nTGn/BFPDtqk8Zn/EoImWCn/r5GVfeBnY1bRR9na98oCVHhrnSzMtvDTnzR5bU1kdSTYnlyGS+f/
YlrHObMjAAA=
ECSHOST_EOF_4

if [ -d /run/systemd/system ] && command -v systemctl >/dev/null 2>&1; then
    write_file "$ECSHOST_ROOT/etc/systemd/system/ecshost-loopback.service" 644 <<'ECSHOST_EOF_5'
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
ECSHOST_EOF_5
    write_file "$ECSHOST_ROOT/etc/systemd/system/ecs-agent.service" 644 <<'ECSHOST_EOF_6'
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
ECSHOST_EOF_6
    write_file "$ECSHOST_ROOT/etc/systemd/system/ecshost-metadata-guard.service" 644 <<'ECSHOST_EOF_7'
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
ECSHOST_EOF_7
    write_file "$ECSHOST_ROOT/etc/systemd/system/ecshost-metadata-guard-recheck.service" 644 <<'ECSHOST_EOF_8'
[Unit]
Description=Re-apply the docker0 IMDS block if missing (terraform-provider-ecshost)
After=docker.service
[Service]
Type=oneshot
ExecStart=/bin/sh /opt/ecshost/ecs-agent.sh recheck
ECSHOST_EOF_8
    write_file "$ECSHOST_ROOT/etc/systemd/system/ecshost-metadata-guard-recheck.timer" 644 <<'ECSHOST_EOF_9'
[Unit]
Description=Re-check the docker0 IMDS block every 60s
[Timer]
OnActiveSec=60s
OnUnitActiveSec=60s
AccuracySec=1s
Unit=ecshost-metadata-guard-recheck.service
[Install]
WantedBy=timers.target
ECSHOST_EOF_9
    write_file "$ECSHOST_ROOT/etc/systemd/system/ecshost-metadata-guard-watch.service" 644 <<'ECSHOST_EOF_10'
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
ECSHOST_EOF_10
    write_file "$ECSHOST_ROOT/etc/systemd/system/ecshost-self-check.service" 644 <<'ECSHOST_EOF_11'
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
ECSHOST_EOF_11
    systemctl daemon-reload
    systemctl enable ecshost-loopback.service ecs-agent.service ecshost-metadata-guard.service ecshost-metadata-guard-recheck.timer ecshost-metadata-guard-watch.service ecshost-self-check.service
    systemctl start ecshost-loopback.service
    systemctl start --no-block ecs-agent.service ecshost-metadata-guard.service ecshost-metadata-guard-recheck.timer ecshost-metadata-guard-watch.service ecshost-self-check.service
else
    sh "$ECSHOST_ROOT/opt/ecshost/ecs-loopback.sh"
    if ! sh "$ECSHOST_ROOT/opt/ecshost/ecs-agent.sh" start; then
        echo "ecshost: agent start failed" >&2
    fi
    sh "$ECSHOST_ROOT/opt/ecshost/self-check.sh" || true
fi
