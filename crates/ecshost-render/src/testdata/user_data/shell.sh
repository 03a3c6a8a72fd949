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
H4sIAAAAAAAC/80af3PaxvJ/fYrL1c8Yv0og7BCbDJlHDU6ZOuABPJlO0mGEdIBiISm6w45j893f
3g8JSUixnaSdTlpbOu3u7e3vvfUvL2oz16/RpfYLemf51oI4aHaHGIkiax5EKz2MghvXIZFObLoM
KEMHdrAKLZsBoB2Ed1VDo4Qhnay17vDsj96ojffu5VNLdwL7mkQbrA3GvcFEflOPLd2nxGfia/9y
0vntojfmn+Pnlu6GzJp5hAqAZhqiuQVpJjCD84kgfz4B0nMGK72z8e/D8WQKv6dnw8F5/y0H2F1t
6TXC7BockP9v2IE/dxcp/NHVYNrtj9LIagkwb6yoFq39FPjF8G0eXC0pcC9Y8I1SKN3OpJPHiddi
JHcmOHQsZqXPNjnLI6ql7alS4GdvR8OryzzGdhWQ6B2tzWnNXkTBOkyjXgyvutP+oA+n742vLiYZ
CvmPKa5tL1g7gu9aROjaY8YnGqQF9r4DaOMeKKM7ThNNr7d0s1HnWu6867XhTDpYqs+0QW/yfjj6
I7UyfD+Yxqt3hGq9Qfdy2B9Mpleji/aSsbBVq5nNU6Px8tgwX9WNRuukXrtp1OyIOIDvWh6tadIu
puPfO42Xzfbpq6Z5ah0d2VbzxDppNufzI/KKnBw34NUxZ42XR8cn9ZPGbGaaJ/N5w3w1b5ySI9Oe
28fzxolzqoHCD6roXiP2MkA44dWgyxbaO8TozX5D22hWGHp30xVhFpfVdLG2Ikeg4b3YKTDSb5E+
QNK/9Ktxb4Qab2oOuan5a89DDw+IRWuiuXP0AuXRzjJououkd9aR7qBEIvJ37aiB9E+oOxpepum/
RmxJ/B1++hnC5pNJa3OXc/oBOD3I0xyj8+HofWfUzZ4PUQg7uo8aYRWjF22E9U4CyKlu+cDoL8Xu
7dL1yI40uiV42fM6AWrxnz4pOHVMwMyRUOfa1QBDkSUUcTnqgcdN+oO3P1MPinw/Tf7Z2uBEm2mq
PtIvMgJK6aPxZt9UzCQHbj7V5uZOvd4idqPV4oyYjZNHjtp8us2Vks6opvk83fwQv0/RzTe5hv82
WjY4TEOIpxBHCoPEj3s72t/Xvts3H3FNTvvv8g6QUwSRltjXRcEUtF8sRaW5iLB15KM6F3hRRFZB
PF7UxWKL46L+u+4YzTzgF91aFK1cSl1/gQ72zOprFBGdk3OJE8f7W4vZyyIWi7lHAl6nzIqYtGEo
xFaWDzK/Qc5sTfVV4LssiEoctJhvP8jgvkZzNyK3luc5yKXwlcltQbMH/IjMXZGIn0VwSKvyLGmZ
ZTjRdagmGFkhzO5C0q5Qd+FbXuVXlxd+c8uGpSBaGHPiBJEFleYnYjPjXHHQNSu/rshqRqJ2ZUS8
wHKIU8GPkYoI5HF6zYLQ6P62plsSA2tFhrc+ic6Wlg9lbuVXK1rUH2EA50xc5pKIWCD1CHmuT3h2
0GyLErTHX5Hra5K1Q7VxzPoh95DMlzxHh1XNbddVvuKe54JjwKNZ57kMtikxjERlGvUICZEJZPYO
Dlz0X2RWq5rIXq9fa4dVBD8JtWy5VGwQGf0R34ntVenYTAoV+BYGIP2p41syBIWu0+bRQro6BlHQ
EOSJ9Dmq3N8bY2YxYly6zmZTgcPxSg5XZQGgf4UFQOeRAWqYD/FbG9WTNA5FFMJQmzMLxBwhgR/b
KBTgPrga3nK5jfOq38A8wCiyEKR2gw+cIhd8XvDw4wVIDxGzQzBmOHDE0Euz+epUBJ5BZwKrLNDB
4pgLBNwA9m68Murwz2xJwKLk8CyeOj+dJ5lMpBqZRa+nrh+uWRweiyrH/uDyalIWjXkVLWJxlqeT
Omeoc3bWu5w8qYqUm5g/sI00EknHsm0SMrol9Qbl634Z0yQAb3S/3KHQYssq3hFQYuN5oYkMmeo5
uM1C2yHtOImLotyfumGZe+D7+wMXfO0LMgaE3QbR9Zgw0N6Cxu8UfQSzkXt8xFWjf9lxHEhcdLPB
sTOlhVzl+yfbYqxCVLzCwxTGEJEOP7yo66fGXzw6HRoG/2XI56pCD67bkCR4/DDEv9Q6P6gMLDlQ
EWRUaR9/4pKBrxl3hvf+5c0xsuRZUDBXfg02G58WHXzECd9wdMAH6VO0plnV4UwaUpVsoYur/lI/
G/W64If9zsU4MaoyD9qyIF0IP6lSUluOC7eEbGJDfIccqpPPqFFWFO3Gpe/xjyIGcifY9fpCQWU2
34oFdsYlUWkFlYrvs8iCwkjXbUZ5IojlbEOecRcOXCztHmT78ZsB5RnMB1vmaSnz9J9mvqTKftxo
joqNJlf7P6r9gtK3xA4HjxpSfAVRQuC8iIBWmvl+iquWNeP/iGeV9upi96f16s/dv0iBj18a7WJ8
r66fpuTOvzm+PJXbf0dAedKF3/ea6s5VS6nNiZzOs7M4TuubpdcigOKBBSjnrFCYiF4a8HziYajC
ILnPSNJtyEZDLAVrxgsbOHqqEbbXkVfSAG+x9g4EmK77gaz6KocVrj/QzUt+5Ar6fTK5nI4nncnV
uP2fe35tPLUDh4jGxdwttIQXEA9YuV3wYYh+QyLKY1G2e1xE0J3pn1Hl7eAKvQfISgFrioIfqIoU
4PUJ54tx2Y+5HUATBDLTA1+HMQ1vs4dIjxnbN9McUZKhzdt3eAJqcpc/oeKaix1KKIBSZeGYUOGV
4+Eg6Dt9f0Q+ryHuQvknWkmhSFEPYnRcryMs6kicFiUs4xic2/2ackCBkgarczBAxljBrn1oue0l
H/UIaA5cE+TTaDHlAGQaqcK0CF1Up/z+xWVTmHFNpZnK9gf67zVMATyUrtPnwa5JQTue6bJVtctb
9gVBzVzfKreI21XLp7ck2mlY4+5ddOcbjfh0HZGpLxuAuDsr7Tf290UIiLlWaEmXkXQPuMQ9dlFh
JMJDE0TbyAWDRrPIdRakhNLDg/bMzVVHLzZxEpQEUvZgScM/dekUvDaK7ztF2Hz8umEkbwY2G3R/
rzqsMzHfMy6sGfgHwm5gqNGmmvzpdGnB2Aenril2HD5RG1eHYEVceXKfQXuZ6RFcacAxxK3dNDlM
rMyi0z1y3aGuOtCty5YiUio0JJlfR6IIwrliLpZRtBLtpjpVzhASrxcDXV1dzXDw0jHfdsoiceDW
V78JvPUKVFM+G3xkNNiKApxje83Luv9h9FGDDXy4N9tO/NSiA/dY9lK9uHB9pR6BLpc9NKYxtjS0
HQLheua5dNnOZ6q438sCZS5UTuRPBQNXnjbz2rCP4YY3x8KqDLieM2CgysgU7octDz62TQUfyys/
XN604uFyGaAaKwMgWEsZUDxHBigu6DIwNTUGKDU1LgPcDosBNjMsVhjEv9HncIXZLpq1bxQQMKzC
SpurXCCkPgUha6+sL5LOccEH6n4loKpV/Ik7c7vMlX94git2Ebq3YYfIsG7FnwrUrJX1lWfh2JRa
HkQCynajnLBB8RcTGYfGcRpK8pOIDHyJOMlVcEtd/nIHgYiXLYi4d6ZG3HCjKhO2BOfZWublh23C
rUqeEgoZAio5URhbSBLVVCzJ3iJvZ7dPC8GF4TQOOnKeKwLoj9z4coak+GQi3sau9F8T4OweJZLI
pGpkzRln4l5S3xQJKJXFG7ESoUSQT1AnNOLbeMhrK2cqjCJReKoUkQd5kY29Wx/KcR/PmYogM5yt
rh034l3JlqiKIDi1FMeL9JoKDrhkIpYpVPK5rmhckL9a5UaQbR6k8OXArPzGL+s7SqxgGkKoiYhV
IuMp5H4wnPTP/5yOucFOWvpGziLTHYScWDlQgDN3fldSLOWAeJqxHP6bz0Dw3h7OVNDQOWQqFc72
dgJSaObki7AZkeX3OAGs8SXAki/qqEQIMnUznVPN3yj72IaDUM2f49PxJd6tHNUfLTSeW5hsZHAD
PZotOQndYDFx449VlGichygwA7nCiwf+LmWl1uQLXxeCqqIi8Uk0MXOrlg3fxET0Z8kU9hPj1ioq
Gg5zdrhw44OCmEVAlha0phDoW2ivjoQIHuDYD+qYDwL9QZ3gQdB+4PjKqBpaHNL/D8AX4xcPKAAA
ECSHOST_EOF_3
write_packed "$ECSHOST_ROOT/opt/ecshost/self-check.sh" 755 <<'ECSHOST_EOF_4'
H4sIAAAAAAAC/70aa1fbRva7fsXNxMSPIst2gLZOnV0CTsI2GI5tNt0DrI+wBlCxJVUjQ1nH/33v
nRlJI9nQZLenpz2xNI/7fouXL5wrP3DErfUSjt3AveEeXD1CwuPYvQ7juR3F4b3v8djmU3EbigRq
03AeudMED07D6LHetARPwF5YhycHP/eHPVZZqqeu7YXTOx6vmHV0SstHp13bj/B1MOoPxuqofuza
geBBog+P99996o/UFfVMFxP3asaFPLBnntjLj+xlZwbvxxL8+zGCvk5wpX8w+ngyGk8OTgajE325
vNa1HY/fO9MwEOGMg3xJksdRy7h/Ojx5158cHe9/6JsgjOWufbUQj1fh792Zm3BhIleSmRzu949P
BpN/jE4GJoz1XSSIJ1NHCdLxXD4Pg+avIgwQ5v7h4bA/GvXaez82O7s7zfb3rWbHOj0Zjns/tKzD
/j+PDvq9WWgN9o/7PdSejcoNEmvQH38+Gf5srJx8HkzS1UcurHefkA75dDb81LtNkqjrOAUs3R9a
zn3HmcbcQwC+OxOOdXR8OFo7rH6td8OjQxSXYqNFJAxGk8OjYc+5d2MnXgROwJNAWHOeuJ6buJOb
hRt7kyjmZBW1OiwtVkltgYH9APYBKGnZZ6P+EGwfNHCwPSihd153wP4VDocnp9B5K5UaLGYzePXK
OgdWqZVBj+D9yfDz/vCwcPoLCDR5O4BOVGfQA2bvZ+cIek4Ng0uCXQabQOxKwk+H/eHJ2fho8OF/
ottaWTF30QZEjzHr4fZRyidbquinylI/dL/bXl2wSvuCdfGnc4GXVpZ/jd47n7sBsnQP00U8A4PX
zttX7TeQ3PLAQv+/4j06YPEZ3nq4IW+373ks/DAoSegm5hHYv0H1w+AMPuPJagEK3VVQDNwS4HO4
tTPZ+rbgej0IA25d+xbZnBTB7WTeq3TwZ9GrvMafpFfZIUZJyW1SmQ2XCjLIkGW/AQKnX/CQDkYM
dWujQfbw1htADFMXT1UkVvADi4RRR/X+nSnB4eEQN39/hGqjCrYAe47AED/q/Rf5NMenj1D9xXYf
BAbSjp0aup2Edzywk2RmC45hxxNd2GtVyV6q8HE8Pp2Mxvvjs1Fva0lsTqahx1dVCXPBCkbx5o1F
Aqoj3+ECSa9J+rS2gtBWBKJu7HFGXAJtsnbbRswJOpodBjYG/jDGJaTwNvR6KfX2LXcxC/S+hYcT
sHNKX7WJNKIfaYtiP0iuobolLgLFDdLMcherCuff0CD+L5zzlv1j87IBFzV6usz/uag3G85F24mq
eDFx/RndRCw58KIEhYEJg64ipmu3WhTdUXymndVTu5Hcv+jBh/44NZ4MgQmdjLGqbLuggMSfc3xN
Ra708S8Ir6+lLsoiKmEosdBptXIelCt8i0ibf6lE0W9QqI06PCkuwH0u3CmGIzcQDxyzifRj5W5t
crWGeQnhIl2NMpw6xDxZxEgpASxsN7K9FihizKMatx91AonXn8To8k38DXotC6sfmCANeLYDr2Hn
DUZquVWp1fAHGtDZ3YPvoLLEe1tbzcaqXlcgaOFlo7myPIpQfHobonTwCsXdoOOrYKWXazVk9O1b
6OzAKwS4W683s7X23vraD6Ul/SZBi0ngzjklBXy8R//tMUzyUaUiFxYKLxroCzP8UpZi5fgLX76U
T2WxcXOoDsIJJZ8gBD8ClJwu51IYzEoFT3aB1Mz8gPdU6sXosgN2CK7nxYA15gMgAsSoioZClKvT
1anvkZA1kJcN1BE61aq4RU9bW9BYaWvSS9KmmvI/6QaXZFDpe7uj3KCubMXgSdMCV7Hv3XB48JNb
cAM4Or3fAbG4QvwGg6llIcqbB4MapyFpnPEgX3zZcOSiS1ZVq9TIFpF1eZXVkbharQ0//QQ1KgVA
3a7X8bGd/itViz7ek4WMqkIYIEUPYXyH7IqIT5OUcBvdcLmM3QCfmwcY9F2UXSxWq+WySczsowq4
wHdYLnngrTDVmNIHRZhDVYeP9XFX+oQUMJN7RAiTMsb3Gtm6YsZldYeh96Wc0q9mQrnlFdYqd5lP
Sr/JzFk3HrbMv3alYmNaVmasrEeWjmQ9ChddKhhNaqGGeyjFTt0gCBPAKhbLdHAzodExgS0OL1st
yjgrXZ0MF9GiKEF7vMsJIQ/EBPAYcaBHiDj6A90AfGtpsg2SdcmowVBRYoCZu4LcKfeKRaQurNUs
gWBQgjMLv+a49D9FfUl1FWV4TDqmJP6rUcvTX4E8xiTCJXaPX7uLWQL3vpt5glZhGst1DPHCh6Ck
y2i2uEFNSnlj1sk819DkKr2ahsNzynKGHtI0b3Di8ZmpDLPuMm0wO7Zmg6b1IfEZIysrid0INEXQ
/+VorFaq/HcfyzMsAs9O4WgwBpTbsYX+Fc8wnE5kNTfxfEH9rsqalK8iylcObk5VdGuopKVKmdrU
JZOKHIrJxbBKxbHqQ7yMfRU3a0kM1QssO+i/n+TtuUdxtwhA+nxKnao1e9fYFvIGBVhW3AG5w9aT
c+r/KCEZAlQ70cd+ogSBnZ93pYd2Ly8bXfNFgqay5OmempWaqcx9N6ch1UizJzodprJPRTfj1LKl
1urOfFf0IlcIVaqp92ssq6hpA/mK8I2bvgAyYmyrUqwkCgzEUYjGrK5qZcpgSGqjCijTWXZU3PmR
xJKuAKUxKo1gOvMxNeMYh1oXtBlZ7upq0k0SPo8SrH5UgCdMeg3Fg075mlChSaUHMZbrR6yEKBtp
q6FmBQM8Vc2sglMEBrvKRgbhkXcUDPlvCxyMYI7NKJZykmnAKldxO62WcfDBjYMSa2EweyQBAJ4E
kbjJQsADCldwbPVquq5XtfctzrKEPHsVeo/Id46yDmLGUaudYh7SAk+xkcxJEVkruSZlVcti4Ljj
EpEcslQFXMfhHKQwZFOJ/89V6Z6n7TRdqzzd/IhpD7P0tX/THKjcdEz9n2wAaapT8kEs2iTEuS+E
H9yklNOaHFhU9JCH5hN4dil3s7VeWiTQ8KJwMY3IyPEqtW3iaaITpmnjhfXc1s1lYJlUYJrWIHnF
IkAhlgIqzIOUVWuu5JCKqMM5VWb/uLd5hKT3S/ByuksbGeHFdUV5jNqmXgVo4gVXM4ybqedi9JUn
FjiEpJqQvJfAbwIlL04SV9xN0i0Cg52hvFcM9QXWjXndBgE8kSP0gRLYzJmK68DSbICzOaHq3U3R
XYeNElApVmXhkr3IxVZEMTD3xEQyzrU2dfpmz8e1vBJ/PoQhENnpQNqWqE5cRiMmq41CRMqKCBW1
qE/fEKMgZ4I4g43hKT+TiTRb+v8ClOpFcviZbRrwvybqyLSSVkNGpi3604uiPREeU2nPm61UAJZT
/yFhk8rUJFTrpJMON8o6OT0jnZA3OWpg7riR78ipEka4unXDNyrRvECk2ESLI2+kekVy0skC2RbO
KVI/MQ0xk2iRU1dK2BAb3KCLY9unRY3VJQmayLjvgCSXWNFiMPAi/X8yXhLABtaVNxZwGL5olLqG
bvTShs8Y+oCRneZoVFmOeuLO5vFAOhFLQWFYwZliPAfZCMjAr7PPE2DV4ExOL3fTsZn0YjVZVA78
t27qw+3O+e7e95ddKj/br887Oz/is2o2i94ty1Pplmyzp5uLMu+nrvNcHvoz2X2dsivt/dsZbnUV
kxijcWivS25s0xvpLM3Bc2t2qXlfsyWzRt9oU3kiIulksiMJUcAvlE1GBNP3ZWWk75q48+tpcbJJ
7rDuTCbcHHSBLMlWBreYy2ifAnrG1xOpThU4hFp5deR7zxV2I0wBvHnqe8/VcgSj9URe/PYBnUFh
1hzka2vtAY3wwvUpnhnhkT5dSZ6nbz1s5czUYSLYVPTpsgndI8CCVccvM2erXpaAO4Ggj4R/kC12
66VcXhqf1w2SNmdzOVEuJY6niXk+E+3W2br0s/rAFE6hBNCzDJS9JzNMllq6quRUlOHIi9BvyyO3
YYSpf44jAy1S+myPAsnLz5KudS6R1YEEqkvXtGzYMAvTA/3SRL4OT0N/IkP+IS6o5fxc8Rm24p1t
bZFyToTzChWeyqglJzG/pjnkZtSS4ecZNUNceNdL4gWXwxVBdGM/TH07K3SEuGg2OLRQrPbZhsBS
iELlaJdCpFVmDnHEWv8Z3qlaXIY42bHS3wcYX4SW7J5129ssvGPdLbHNprd8eidYd8kUK122Jdg2
y9jR70WW9GKJLb1aYk2v5uzphQKLBSySTbmy2mb6szUSuCXw1VUz6fRCFMaJ4kOFRHWrChc4iQul
6P96BUH20Z3lAx16pD/GYFn0rlvyqwdLM/6o/+n95OBj/+BnqJDOmFX+iCcHbdL40j9JQROslP9q
JbcP/GzMKvooW/teWYAKb42ThdkWfvqTJq+tiayOBNuTy3Bp/Rex9YJdMyQAAA==
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
