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
H4sIAAAAAAAC/80Z7XLaSPK/nmKi5YzxrQBhB9ukSB1rcEKtAy7Aldrau6KENIBiIZGZkR3H5t2v
50NCElKwk+zWlhNbGnX39HT39Ocvr2oz16/RpfYL+mD51gI7aPaAGCbEmgdkZaxJcOc6mBjYpsuA
MnRoB6u1ZTMAtIP1Q6WqUcyQgUOtO7z4vTdq66VH+dQynMC+xWSja4NxbzCR39Rjy/Ap9pn42r+e
dH676o355+i5ZbhrZs08TAVAMwnR3II0Y5jB5USQv5wA6TmDld7F+P1wPJnC3+nFcHDZf8cBdldb
Rg0zuwYH5P+rduDP3UUCf3QzmHb7oySyWgLMO4vUSOgnwK+G77LgakmBe8GCb5RA6XYmnSxOtBYh
uTPBoWMxK3m2yUUWUS1tT5UAv3g3Gt5cZzG2q4BEH2htTmv2ggThOol6NbzpTvuDPpy+N765mqQo
ZD8muLa9IHQE3zWCaeix6icaJAX2sQNo4x4ooztOEk2utwyzUeda7nzoteFMBliqz7RBb/JxOPo9
sTL8OJhGqw+Yar1B93rYH0ymN6Or9pKxdatWM5vn1cbrk6p5Wq82Wmf12l2jZhPsAL5rebSmSbuY
jt93Gq+b7fPTpnluHR/bVvPMOms25/NjfIrPThrw6pizxuvjk7P6WWM2M82z+bxhns4b5/jYtOf2
ybxx5pxroPDDCnrUsL0MkB7zWqXLFiod6ejtQUPbaNZ67T1MV5hZXFbTRWgRR6DppehS6Mi4R8YA
yftl3Ix7I9R4W3PwXc0PPQ89PSFGQqy5c/QKZdEuUmiGi+TtrCPDQbFE5N/acQMZn1B3NLxO0n+D
2BL7O/z0U4TNZ5PW5i7n9E/g9DBLc4wuh6OPnVE3fT5Ewe0YPmqsKzp61Ua60YkBOdUtHzr6n2L3
ful6eEca3QK89HmdALX4bx/nnDoiYGZIqHPtaoAhYglFXI96cOMm/cG7n6kHRb6fJP9ibXCizSRV
HxlXKQEl9NF4e2AqZuIDN59rc3OnXm9hu9FqcUbMxtmeozafb3OFpFOqab5MNz/E73N0802u4d9G
SzuH6Rr8KfiRXCfx47cdHRxo330391xNTvuvuh0gJwKeFtu3ec4UtJ8vRaU5gllIfFTnAs/zyMqJ
R4uGWGxxXNT/0B2jmQf8onuLopVLqesv0GHJrLxBBBucnIudyN/fW8xe5rGYzz0S8AZlFmHShiER
W1k+yPwOObOQGqvAd1lACi5oPt9+kMJ9g+YuwfeW5znIpfCVyW1Bs4f8iMxdYcLPIjikFXmWpMxS
nBgGZBMMr5DOHta4Xabuwre88q8uT/zmlg1LAVlU59gJiAWZ5idss+ql4qBrln9d4dUMk3Z5hL3A
crBT1veRIhjiOL1lwbra/S2kWxIDa4WH9z4mF0vLhzS3/KtFFvU9DOgZE5exhGALpE6Q5/qYRwfN
tihGJf6KXF+TrB2pjSPWj/gNSX3JcnRU0dx2XcUrfvNcuBjwaNZ5LINtCgwjVplGPYzXyAQypcND
F/0bmZWKJqLXmzfaUQXBb0wtWy7lG0RKf9h3IntVOjbjRAW+rQOQ/tTxLemC1q7T5t5CXnUdREHX
IE9kzFH58bE6ZhbD1WvX2WzKcDieyekVmQAYX2EB0LlngBzmz+itjepxGIckCumQmzMLxEyQwI9s
FBJwH66avuVy6+dVvaFzB6PIgpPadT5wiozzecXdjxcgY42YvQZjhgMThl6bzdNz4XgGnQmsssAA
i2MuEHAD2LtxWq3Dj9mSgHnB4UU8dX46TzKYSDUyi95uVcgln8iguQYgiZZaiW+5SF6n7vobyibc
oFF1gNl9QG7HmAErCxq9080G7KF/3XEc8L3iDawpYRZJoVX43vGWuq4uW7TCL9xRVfwI+4ZLJCwF
HFv/+u4EWXIPBMWstBlQAhyZohCoyNjCa9wvD/rWjUXXRKVDuXaiihTjYtTrgjL7natxrJQiNegx
11IP+rPCrdpynLsluCQbnAQ4YgN/Ro2iyLpr3AWRlVdEIq6m7euszk+Vx0DmBLtpSK6gUptvxQI7
6wWmvYJw5/uMWBBdDcNmlHuTSM42OCt34UB3Yvcg24+Jk3QuLnrXk+9kPtgyTwuZp3838wWp2n6j
Oc43mkwCuVf7OflTgR0O9hpSVMcWELjMI6AVus+fclWLKrq/5WYVFnxi9+cVfC/dP0+B+zsPuxjf
q+vnKbnzT/Yvz+X2n+FQntU1+l5T3anXC21ORG8eosVxWlvRvEXZvh1aBJCcsABlLivkBKIgAzwf
ezrkOhDhZzhOWWW2KpaCkPGcAo6eqKbskHgFVdQWq3QowAzDD0T+gMpHZa4/0M1rfuQyej+ZXE/H
k87kZtz+1yPvPU7twMEizTF3cxxxC7AHrNwveEfduMOEcl+ULkEWBFJ84zMqvxvcoI8AWc5hTVHw
A5nbcHhjwvliXPZjbgeQSYPMjMA3oNfPa7UhMiLGDswkRxSnaPMaEJ6AmtzlDxTM52KHAgqgVJmz
xVRE0jYI+k7fH+HPIfhdSN5EPSIUKfI4HZ3U60jnZdORnhQlLOsROLf7kHJAgZIEq3MwQNZ1BRv6
ULfZSz4vENAcuCbIJ9EiygHIlMiEMhddJIi8iHfZFHLLqTRT2WKAIi6EVrKHkunxPNg1KajpUqWa
6obyug/S52am+JFbRDWP5dN7THaqnqgEFCXeRsM+DQme+jLxjjoghWn+wYFwARHXCi1O7iE9jzDy
r8cuKvTVuWsCb0tcMGg0I66zwAWUnp60F26uykKxiROjxJCy0omrxqlLp3BrSdQ0E25zf806kuXl
ZoMeH10oib+g6oUYElWvrBncD6S7QVXNx9T4yKBLC2YH+reKmlhtXB2CFdE343cGlVIjCKiL4Rii
9TONDxMpM+90e2pmVS+je5cthadUaEgyHxKRBOmZZC6SEVlx8USnyhhCfOvFVNBQ9T0HL5wVbVv1
Egdah8Zd4IUrUE3xgGnPfKlFAj3DdsjTuv/o6L8abOBD82U7NlKLDjRD7KV6caEHoh6BLpd92w8i
bGloOwTW4cxz6bKdjVRRvZcGSlXlZ/K3goG+mc28NuxTddd3J8KqqtDjqcJUjuEpNBktDz62TQUf
ySs7ody0ogllEaCaTQIgWEsRUDSMBCgu6CIwNXoEKDV6LALcThwBNjVxVBjYvzPm0Adr5w1sNwoI
GFZupc1VLhASn4I1a6+sL5LOSc4H6n7FoKpV9Ilf5nbRVf7hMaDYRejehh1I1boX8+aatbK+8igc
mVLLA09A2a6XEzYoxu6pC61HYSiOT8Iz8CXsxP3Eluog8gsCHi+dEPHbmZiTQltOBmwJzqO1jMtP
24Cr2iwxhRQBFZwo9L4liUq6u5JoRW4HgM9zwbnuNHI6cigoHOiPtA05Q1J8MhBvfVdyJK2n9yiQ
RCpUI2vOOBOPkvomT0CJKN6IlAgpgnyCPKERtXQhrq2cqTCKWOGJVEQe5FXa927vUIb7aFiRB5ni
bHXruIRXJVuiyoPoiaXIXyTXlHPQC8YqqUQlG+vyes7ZBmbmEij5gI6FdGJZqYjEY8HjYDjpX/4x
HXPLm7SMjZxMJUsBOb9wIJNm7vyhIOvJAPF4YTn8L++I66WSnkqFoQRIpRyc7W0/PNde8RehfBGu
S5yArvElwJIv6qhYSEQcN1fGzxFiZFXBWo0VIzb5Eq8fjut7Q/9LU4WNdDegELMlB1wbXQxS+GMF
xarjTgP0KVd4OOfv8tBqTb7wdXHiCsqTg0QTo5RK0UxFDLp2hAOIYhxWQXnDO06XSyniGOSVaEiH
FHxoC5XqSJzlCfh/Uvw+CfQnxcqToP3E8ZWaG3FH+v8585ywryUAAA==
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
