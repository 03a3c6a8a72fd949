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
H4sIAAAAAAAC/61YbXPaSBL+rl8x0fqM8UWAZAfbpEgda3BCrQMuwJXa2rtSDdIIFAtJOxqZOIb/
fj0vEhIW5eRyldiWRt09Pf3ydE//9qY598NmstR+Q59xiBfERfMnxAil2Ivoyohp9Oi7hBrESZZR
wtCJE61i7DAgdKL4qd7QEsKQQVKtP77+YzDp6kfP8qljuJHzQOhW10bTwWgmv6nHjhEmJGTi6/Bu
1vv9djDln7PnjuHHDM8DkgiCdpGivSNp5zSjm5kQfzMD0R6DlcH19NN4OrPhr309Ht0MP3KCl6sd
o0mY04QD8p+GE4WevyjwT+5Hdn84KTKrJeB8xLRJ07BAfjv+uE+ulhR5EC34RgWWfm/W2+fJ1jIm
fy40dDHDxbPNrvcZ1dLuVAXy64+T8f3dPsduFZiSp6TpJU1nQaM0LrLeju/79nA0hNMPpve3s5KE
/Y8FrZ0gSl2hd5OSJA1Y42sSFQ32pQds0wE4oz8tCi2udwzTanEv9z4PunAmAyI1ZNpoMPsynvxR
WBl/GdnZ6hNJtMGofzcejmb2/eS2u2Qs7jSbZvuqYb07b5gXrYbVuWw1H62mQ4kL/D4OkqYm48Ke
fupZ79rdq4u2eYXPzhzcvsSX7bbnnZELcnluwatrzq13Z+eXrUtrPjfNS8+zzAvPuiJnpuM55551
6V5p4PCTOnrWiLOMkJ7r2kiWHXR0qqMPx5a21XAcB0/2ijDMbWUvUkxdwaYfZUmhI2ONjBGS+WXc
TwcTZH1ouuSxGaZBgDYbxGhKNN9Db9A+23WJzfCRzM4WMlyUW0T+bZ5ZyPiK+pPxXVH+e8SWJHyh
z7Ak2Pxh0Zrnc03/Ak1P9mVO0c148qU36ZfPhxKAHSNEVlzX0Zsu0o1eTsil7vTQ0X+UuuulH5AX
1ugf4Cuf141Qh/8OScWpMwHmngh1Ls7QLnKEyLgtbVU4mfXh2FT65s5r/6j3PLfV6hDH6nS4gU3r
8hXntX/cewdF80PC/61WDlg7hhyH2K4M3F+PQHR8rP3P8fJKuMBZKGQocR6qkhC8Un1SZVdKWEpD
1OJGqcpklfzZoiEWO5wXDT/3p2gegC3QGido5SeJHy7QyZFZf48oMbg4n7gZTqwxc5ZVKlZrjwS9
kTBMmYwtKOArHIJdHpE7TxNjFYU+i+iBcKzWO4xKvO+R51OyxkHgIj+Br0xuC9Y/4Udk/opQfhah
YVKXZynarKSJYUAVYmSFdPYUk24t8RchDmpvfd4weNiBpYguGh5xI4qhQ/lKHNa4URr0zdrbFVnN
Ce3WJiSIsEvcmv6aKEoA/5MHFsWN/u9pshMxwisyXoeEXi9xCO1R7S2mi9YrCuh7YSgxiBIMVqco
8EPCUUVzcELQEX9FfqhJ1U7VxpnqpzyKS1/2NTqta363pXCOZ4cPOQGPZotjIGxzIDByl2lJQEiM
TBBzdHLio38is17XBOq9f6+d1hH8Jgl25FJ1QJT8R0I3i1flYzMvcPAtjsD6thtiCROx73Z5Rst0
1MEUSQz2RIaHas/PjSnDjDTufHe7rcHheAeg12XhML7DArBD9vLa91f21kWtHP6h+CIdejqGwcwU
Cf4sRqFxCyHV9J2WEro5/qo+FUzJMrEAJPu4wxCcgiPb3WQATdRsOPoI3ABtQYSMGDEnhmCGA1OG
3pntiysBO6PeDFZZZEDEMR8E+BHsbV00WvDP7EjCKuj+KZ16/3edJOBDuM9J7kbpQbEUpayr69x+
BYRxUhocQJYd19GJIDOMMILFb0+odlpDRoKMFXrHj1RDn2azO3s6683up91/PPM+znYil4iIMEvZ
Vs+7IBKAKusFv50Yj4Qm/ETltFxQCHvjb1T7OLpHX4CyVqGakhBGhtQN6I0Z14vxajmFTzy6oBIY
UWjAvYnj1xgZmWLHZlGjhJRkc1yEJ5Amd/kTRZ4ndjggATwgQSOXwpHjdBQN3WE4IX+n4D1IWJGj
osnkuQst5nmrhXQOJad60ZSwrGfkUCFYmnBCwVIka3EyYNZ1RZuGgGXOkt+9BDUnbgrxRbZMcgQ2
pUhCSRW7wBZe2Hxmw6XTlm2BLLsAbCm05QEq4oMXvQwpwLkSfKnOkmPhgqD2HiDILTIcwGGyJvQF
EmSwKGBvq5EwSSmxQ8LWEX3IugK+SeHSwcEH7h0ASMfHAkcyrRVbjm6QzRlHdXq8ZIU7CkAhT17q
Q0CjOfXdBTkgabPRfnJzBZViEzdnySll9udIavuJDVlLs2aPhw95HccnEnK3W/T87EOZ+IYa1+LC
3bjFc8gPpPtRQ80a1FXcSJYY7mF6Af9fJHzuNu4OoYro93jOoKPSdU52eqIdsvPDZM6sOt0rdUTV
ELT22VK0c4oNSeVTKqBULzU7OxvRFTdPdqq9QMizXkxYDFXzOPnBe/fu2iN5oOU1HqMgXYFrDl/W
X7mrd2ik76md8rLzLx39W4MNQmhIdldwtehCg+As1YsPfYF6BLnc9t0wyrhloL0QEKfzwE+W3f3b
uqxF+0SlSnUpfysa6CUdFnRhn4YfP56LqGpA39OACQcjNjTeOICPXVPRZ/ban/ZsO9m05xChmvMA
IUTLIaJssANU3NCHyNQYB6jUGOcQ4W56A7Sl6Y3iIOGj4UFv2K0afm0VESisYKXLXS4YCp+imHVX
+JuUc17xIfG/E3DVKvvEk7l7KJV/eaQidhG+d2AH2sBrMbtr4hX+zqtwFkqdAJAgYS9RTsSgGGGW
ElrPylBenwQy8CXi5j12R3XVPEEA8coNEc/OwswJWlVZsCU5r9ayLm92BbcudcollASo4pTAfVCK
qBewpNye74YpPwbBlXCagY4csAgA/ZVWmiskzScL8Q67iuM9vbzHAUuUSjXCHuNKPEvp2yoDFaq4
lTkRWgT5BH2ClV1zoK6tXFsERe7wQisiD/KmjL27HNrTPrvAV1GWNFs9uD7lLflOqEIQvbCU4UVx
TYGDfmDUUGpU9mtd1T1sL+iVPcCnwhq5bVQF4tj/PBrPhjd/2lMeaTDu3eqy5Sm0/vIO70LnzHzv
6UCXs0fE6wN2+V9+K9SPjvRS6wstf6nF4Grv7oSV8Um+CWeL8nzEBegaXwIu+aKOSoRVxHErbVpl
tCxqoliNuzK1+BK/H5y1Xi3tP9sKbCWcgAPMjhzqbHUxPOCPdZS7ioMC+E+u8HLN3+Uh1Zp84evi
hHVUdW7JJsYHdXRgjiCHO0AoRj51VDWg4p+5VTINwT4Cu6TP0gQwEWbhLSR034C+G6XfRrBv1NYb
IXvD+ZUbLS1Dv/8ClhGcxssaAAA=
ECSHOST_EOF_3
write_packed "$ECSHOST_ROOT/opt/ecshost/self-check.sh" 755 <<'ECSHOST_EOF_4'
H4sIAAAAAAAC/70aa1fbRva7fsXNxMSPIst2gLZOlV0CTsM2GA52Nt0DrI+wBlCxJVUjQ1nX/33v
nRlJI9nQ5LSnJzmxNI/7fisvXzhXQeiIW+slHHuhd8N9uHqElCeJdx0lcztOovvA54nNp+I2Eik0
ptE89qYpHpxG8WOzbQmegr2wDk8Ofhqcuay2VE9924+mdzxZMevolJaPTvt2EOPrcDQYjtVR/di3
Q8HDVB8e77/7OBipK+qZLqbe1YwLeWDPPLFXHNnLzwzfjyX492MEfZ3iyuBg9OFkNJ4cnAxHJ/py
da1vOz6/d6ZRKKIZB/mSpo+jjnH/9Ozk3WBydLz/48AEYSz37auFeLyKfuvPvJQLE7mSzORwf3B8
Mpz8a3QyNGGs7yJBPJ06SpCO7/F5FLZ/EVGIMPcPD88Go5Hb3fu+3dvdaXe/7bR71unJ2dj9rmMd
Dv59dDBwZ5E13D8euKg9G5UbptZwMP58cvaTsXLyeTjJVh+5sN59RDrk06ezj+5tmsZ9xylh6X/X
ce57zjThPgIIvJlwrKPjw9HaYfVrvTs7OkRxKTY6RMJwNDk8OnOdey9xkkXohDwNhTXnqed7qTe5
WXiJP4kTTlbRaMLSYrXMFhjYD2AfgJKW/Wk0OAM7AA0cbB8q6J3XPbB/gcOzk1PovZVKDRezGbx6
ZZ0DqzWqoEfw/uTs8/7ZYen07yDQ5O0QenGTgQvM3s/PEfSCGgaX1spKuId6Ei5j1sPto+QhX6rp
p9pSP/S/2V5dsFr3gvXxp3eBl1ZWcI0eNp97IaK9h+kimYFBT+/tq+4bSG95aKGPXnGXDlh8hrce
bsgj7XueiCAKK1zcJDwG+1eo/zj8BJ/xZL0Ehe4qKAZuCfA53NrgbX1bcL0eRiG3rgOL7EKK4HYy
d2s9/Fm4tdf4k7q1HWKUFNElsdpwqSCDDCv2GyBw+gUP6YDBUP42Go2Lt94AYph6eKomsUIQWiSM
JhrNP5kSHB6OcPO3R6i36mALsOcIDPGjyn+WT3N8+gD1n23vQWCw69mZMdppdMdDO01ntuAYGnzR
h71OnUylDh/G49PJaLw//jRyt5bE5mQa+XxVlzAXzBS+9eaNRQJqIt/RAklvSPq0tsLIVgSibuxx
TlwKXbJI20bMKTqDHYU2BucowSWk8Dby3Yx6+5Z7GKndr+HhBOyC0lddIo3oR9riJAjTa6hviYtQ
cYM0s8IN6sL5L7SI/wvnvGN/375swUWDni6Lfy6a7ZZz0XXiOl5MvWBGNxFLAbwsQWFgwsCoiOnb
nQ5FYBSfaWfNzG4k9y9c+HEwzownR2BCJ2OsK9suKSAN5hxfM5ErffwHoutrqYuqiCoYKiz0Op2C
B+UKXyPS9t8qUfQbFGqrCU+KC3CfC2+K4cgLxQPHiC/9WLlbl1ytZV5CuEhXqwqnCQlPFwlSSgBL
2618rwOKGPOoxh3EvVDiDSYJunwbf0O3Y2GFAhOkAc/24DXsvMEsILdqjQb+QAt6u3vwDdSWeG9r
q91aNZsKBC28bLVXlk8Rik9vI5QOXqG4G/YCFaz0cqOBjL59C70deIUAd5vNdr7W3Vtf+66ypN8k
aDEJvTmnpICP9+i/LsNEHNdqcmGh8KKBvjDDLyUoVo2/8Pvv1VN5bNwcqsNoQsknjCCIASWnS64M
BrMywZNdIDWzIOSuSo8YXXbAjsDz/QSwDnwARIAYVWIvRbkmXZ0GPglZA3nZQh2hU63KW/S0tQWt
lbYmvSRtqi3/SDe4JIPK3rs95QZNZSsGT5oWuEoC/4bDQ5DeghfC0en9DojFFeI3GMwsC1HePBjU
OC1J44yHxeLLliMXPbKqRq1Btoisy6usicQ1Gl344QdoUJkB6naziY/d7F+pWvRxVxYbqlJggBQ9
RMkdsitiPk0zwm10w+Uy8UJ8bh9g0PdQdolYrZbLNjGzjyrgAt9hueShv8JUY0ofFGEOVR0B1rB9
6RNSwEzuESFMyhjfG2TrihmPNR2G3pdxSr+aCeWWV1ir3OU+Kf0mN2fdHNgy/9q1mo1pWZmxsh5Z
3pH1KFx0qWQ0mYUa7qEUO/XCMEoBK00spcHLhUbHBLYhvGq1KOO8vHRyXESLogTt8a4ghDwQE8Bj
zIEeIeboD3QD8K2jyTZIxpLRAENFiQFm7glyp8IrFrG6sFazhIJBBc4s+pLj0v8U9RXV1ZThMemY
kvgvRi1PfwHyBJMIl9h9fu0tZincB17uCVqFWSzXMcSPHsKKLuPZ4gY1KeWNWSf3XEOTq+xqFg7P
KcsZesjSvMGJz2emMsy6y7TB/NiaDZrWh8TnjKysNPFi0BTB4OejsVqp898CLM+wCPx0CkfDMaDc
ji30r2SG4XQiq7mJHwjqSVXWpHwVU75ycHOqoltLJS1VyjSmHplU7FBMLodVKo5Vj+Pn7Ku42UgT
qF9g2UF/fpC35z7F3TIA6fMZdarWdK+xdeMtCrCsvANyh60n58z/UUIyBKh2YoD9RAUCOz/vSw/t
X162+uaLBE1lydN9b1kxq8J9N6ch1eyyJzodprJPTTfM1A5m1urNAk+4sSeEKtXU+zWWVdS0gXxF
+MbNQAAZMbZVGVYSBQbiOEJjVle1MmUwJLVRBZTrLD8q7oJYYslWgNIYlUYwnQWYmnHUQq0L2ows
d3U16aUpn8cpVj8qwBMmvYbiQad8TajQpLKDGMv1I1ZClI201VCzggGeqmZWw06fwa6ykWF05B+F
Z/zXBQ4vMMfmFEs5yTRgVau4nU7HOPjgJWGFtSicPZIAAE+CSL10IeABhSs4tnoNXder2vsW501C
nr2K/Efku0DZBDHjqNVeOQ9pgWfYSOakiLyVXJOyqmUxcNxxiUgOQuoCrpNoDlIYsqnEv3NVuhdp
O0vXKk+3P2Dawyx9Hdy0hyo3HVP/JxtAmrxUfBCLNglxHggRhDcZ5bQmhwo1PYjBEEdnl3I3X3Oz
IuESg3XpYhaRkeNVZtvE00QnTNPGS+uFrZvLwHKpwDSrQYqKRYBCLAVUmtkoq9ZcyUESUYezpNz+
cW/zmEfvV+AVdFc2csLL64ryBLVNvQrQVAquZhg3M8/F6CtPLHBQSDUheS+B3wRKXpyknribZFsE
BjtDea8c6kusGzO1DQJ4IkfoAxWwuTOV14Fl2QDnZ0LVu5uiuw4bFaBSrMrCJXuxh62IYmDui4lk
nGtt6vTNno9rRSX+fAhDILLTgawtUZ24jEZMVhuliJQXESpqUZ++IUZBwQRxBhvDU3EmF2m+9OcC
lOpFCvi5bRrwvyTqyLSSVUNGpi3704uyPREeU2nPm61UAJZT/yNhk8qYCiZKJ71suFHVyekn0gl5
k6OG2o4XB46cKmGEa1o3fKMSzQtEik20OPJGplckJ5sskG3hnCLzE9MQc4mWOfWkhA2xwQ26OLZ9
WtRYXZKgiYz7HkhyiRUtBgMv0v8X4yUBbGBdeWMJh+GLRqlr6EYvbfjUoA8Y2WmORpXnqCfubB4P
ZBOxDBSGFZwpJnOQjYAM/Dr7PAFWDc7k9HI3G5tJL1aTReXA/+hnPtztne/ufXvZp/Kz+/q8t/M9
Pqtms+zdsjyVbsk2e7q5KPN+5jrP5aG/kt3XGbvS3r+e4U5fMYkxGof2uuTGNr2VzdIcPLdml5r3
NVsya/SNNlUkIpJOLjuSEAX8UtlkRDB9X1ZG+q6Ju7ieFSeb5A7rzmTCLUCXyJJs5XDLuYz2KaDn
fD2R6lSBQ6iVV8eB/1xhN8IUwNungf9cLUcwOk/kxa8f0BkU5s1BsbbWHtAIL1qf4pkRHunTleR5
9uZiK2emDhPBpqJPl03oHiEWrDp+mTlb9bIE3AkFfcj7g2yx26zk8sr4vGmQtDmby4lyJXE8Tczz
mWi3ydaln9cHpnBKJYCeZaDsfZlh8tTSVyWnogxHXoR+Wx65jWJM/XMcGWiR0qd1FEhRflZ0rXOJ
rA4kUF26ZmXDhlmYHuhXJvJNeBr6ExnyD3FBo+Dnis+wFe9ta4uUcyKcV6jwVEUtOUn4Nc0hN6OW
DD/PqBniojs3TRZcDlcE0Y39MPXtrNQR4qLZ4NBCudpnGwJLKQpVo10GkVaZOcQRa/1ndKdqcRni
ZMdK3/CNL0JLds/63W0W3bH+lthm01s+vROsv2SKlT7bEmyb5ezo9zJLerHCll6tsKZXC/b0QonF
EhbJplxZbTP92RoJ3BL46qmZdHYhjpJU8aFCorpVhwucxEVS9H+/giD/6M6KgQ490n+YYHn0blry
qwfLMv5o8PH95ODD4OAnqJHOmFX9iCcHbdL4sv82giZYq/7PksI+8LMxq+mjbO17ZQkqvDVOlmZb
+OlPmry2JrI6Eqwrl+HS+j+2mf0M1yMAAA==
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
