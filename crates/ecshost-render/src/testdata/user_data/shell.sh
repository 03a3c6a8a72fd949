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
H4sIAAAAAAAC/80a/W/ayPJ3/xXbvbwQ8s7mowlJqageF0gPXQoREFWn9oSMvYAbY7veddI04X9/
sx82trGbpO2dTmmDWc/Mzs737OSXF7W549XoSvsFvTM9c0lsNL9DjIShufDDtR6E/o1jk1AnFl35
lKEDy18HpsUA0PKDu6qhUcKQTiKtNzr7oz/u4L17+dTWbd+6JuEGa8NJfziV79RjW/co8Zh4O7ic
dn+76E/46/i5rTsBM+cuoQKglYZobUFaCczwfCrIn0+B9ILBSv9s8vtoMp3B5+xsNDwfvOUAu6tt
vUaYVYMD8v+G5XsLZ5nCH18NZ73BOI2slgDzxgxrYeSlwC9Gb/PgakmBu/6Sb5RC6XWn3TxOvBYj
OXPBoW0yM3226VkeUS1tT5UCP3s7Hl1d5jG2q4BE72htQWvWMvSjII16MbrqzQbDAZy+P7m6mGYo
5F+muLZcP7IF37WQ0MhlxifqpwX2vgtokz4oozdJE02vt/VGs8613H3X78CZdLBUj2nD/vT9aPxH
amX0fjiLV+8I1frD3uVoMJzOrsYXnRVjQbtWa7ReGc3jI6NxUjea7dN67aZZs0JiA75jurSmSbuY
TX7vNo9bnVdz++XpsX08b1jNk5Ojhn1kLV6eNl+Z5oltL47q9eP6y1PLatl2a944PToymy27eUys
40bzZHHaamig8IMquteItfIRTng16KqN9g4xerPf1DaaGQTu3WxNmMllNVtGZmgLNLwXOwVG+i3S
h0j6l3416Y9R803NJjc1L3Jd9PCAWBgRzVmgFyiPdpZB0x0kvbOOdBslEpGftZdNpH9CvfHoMk3/
NWIr4u3wM8gQbjyZtLZwOKcfgNODPM0JOh+N33fHvez5EIWwo3uoGVQxetFBWO8mgJzqlg+M/lLs
3q4cl+xIo1eClz2v7aM2/+2RglPHBBo5EupcuxpgKDSFIi7HffC46WD49mfqQZEfpMk/WxucaCtN
1UP6RUZAKX003+w3FDPJgVtPtbmFXa+3idVstzkjjebpI0dtPd3mSklnVNN6nm5+iN+n6OabXMO/
jZYNDrMA4inEkcIg8ePejvb3te/2zUdck9P+u7wD5BRCpCXWdVEwBe0XS1FpLiQsCj1U5wIvisgq
iMeLulhsc1w0eNeboLkL/KJbk6K1Q6njLdHBXqP6GoVE5+QcYsfx/tZk1qqIxWLukYDXKTNDJm0Y
CrG16YHMb5A9j6i+9j2H+WGJgxbz7fkZ3Ndo4YTk1nRdGzkU3jK5LWj2gB+ROWsS8rMIDmlVniUt
swwnug7VBCNrhNldQDoV6iw906386vDCb2FasOSHS2NBbD80odL8RCxmnCsOeo3Kr2uynpOwUxkT
1zdtYlfwY6RCAnmcXjM/MHq/RXRLYmiuyejWI+HZyvSgzK38aobL+iMM4JyJy1wSEhOkHiLX8QjP
DpplUoL2+FfkeJpk7VBtHLN+yD0k8ybP0WFVczp1la+45zngGPDYqPNcBtuUGEaiMo26hASoAWT2
Dg4c9F/UqFY1kb1ev9YOqwh+E2pacqnYIDL6I54d26vScSMpVOBd4IP0Z7ZnyhAUOHaHRwvp6hhE
QQOQJ9IXqHJ/b0yYyYhx6dibTQUOxys5XJUFgP4VFgCdRwaoYT7E3zqonqRxKKIQhtqcmSDmEAn8
2EahAPfA1fCWy22cV/0G5gFGkYUgtRt84BS54POChx/XR3qAmBWAMcOBQ4aOG62TVyLwDLtTWGW+
DhbHHCDg+LB388Sow0+jLQGLksOzeOr+dJ5kMpFqZCa9njleELE4PBZVjoPh5dW0LBrzKlrE4ixP
p3XOUPfsrH85fVIVKTdp/MA20kgkHdOySMDoltQblK/7ZUyTALzR/XKHApOtqnhHQImN54UmMmSq
5+A2C22HtOMkLopyf+YEZe6B7+8PHPC1L8gYEnbrh9cTwkB7Sxp/p+gjmI3c4yOuGoPLrm1D4qKb
DY6dKS3kKt8/2RZjFaLiFR6mMIaIdPjhRV1/ZfzFo9OhYfAPQz5XFbp/3YEkweOHIX5S6/ygMrDk
QEWQUaV9/IpLBt5m3Bm+Dy5vjpApz4L8hfJrsNn4tOjgI074hqMDPkifoohmVYczaUhVsoUurvpL
/Wzc74EfDroXk8Soyjxoy4J0IfykSkltOSncErKJBfEdcqhOPqNmWVG0G5e+xz+KGMidYNfrCwWV
2XwrFtgZl0SlNVQqnsdCEwojXbcY5YkglrMFecZZ2nCxtHuQ7ctvBpRnMO9vmaelzNN/mvmSKvtx
o3lZbDS52v9R7ReUviV2OHzUkOIriBIC50UEtNLM91NctawZ/0c8q7RXF7s/rVd/7v5FCnz80mgX
43t1/TQld//N8eWp3P47AsqTLvy+11R3rlpKbU7kdJ6dxXHa3yy9lj4UD8xHOWeFwkT00oDnERdD
FQbJfU6SbkM2GmLJjxgvbODoqUbYikK3pAHeYu0dCDBd93xZ9VUOK1x/oJtjfuQK+n06vZxNpt3p
1aTzn3t+bTyzfJuIxqWxW2gJLyAusHK75MMQ/YaElMeibPe4DKE70z+jytvhFXoPkJUC1hQFz1cV
KcDrU84X47KfcDuAJghkpvueDmMa3maPkB4ztt9Ic0RJhjZv3+EJqMld/oSKayF2KKEASpWFY0KF
V46HQ39gD7wx+RxB3IXyT7SSQpGiHsQILsURFnUkTosSlnEMzu0+ohxQoKTB6hwMkDFWsJEHLbe1
4qMeAc2Ba4J8Gi2m7INMQ1WYFqGL6pTfvzhsBjOumTRT2f5A/x3BFMBF6Tp94e+aFLTjmS5bVbu8
ZV8S1Mr1rXKLuF01PXpLwp2GNe7eRXe+0YhHo5DMPNkAxN1Zab+xvy9CQMy1Qku6jKR7wCXusYsK
IxEemiDahg4YNJqHjr0kJZQeHrRnbq46erGJnaAkkLIHSxr+mUNn4LVhfN8pwubj1w1jeTOw2aD7
e9VhnYn5nnFhzsE/EHZ8Q4021eRPpysTxj44dU2x4/CJ2rg6BCviypP7DNrLTI/gSgOOIW7tZslh
YmUWne6R6w511YFuHbYSkVKhIcl8FIoiCOeKuVhG4Vq0m+pUOUNIvF4MdHV1NcPBS8d82ymLxIFb
X/3Gd6M1qKZ8NvjIaLAd+jjHdsTLuv9h9FGDDTy4N9tO/NSiDfdY1kp9ceD6Sj0CXS57aExjbGlo
OwSCaO46dNXJZ6q438sCZS5UTuVvBQNXnhZzO7CP4QQ3R8KqDLieM2CgysgM7odNF152GjE8ARU6
7E73A9ZxuVV2bIfyYKUAYoHmp8+bdjx9LgNUc2cABHMqA4oHzQDFNVEGpsbKAKXGymWA22kywGam
yQqDeDf6Au44O0XD+I0CAoZV3OlwmxAIqVdcVmvzi6RzVPCCOl8J6HIdvxJyLfP1Hx7xil2EcViw
Q2iYt+JvCWrm2vzK03Rsa20XQgVlu2FQGKn4k4qMx+M4TyUJTIQOvkTs5K64rW6HuQdBSMxWTNx9
UzNwuHKVGV2C83QuE/fDNiNXJU8JhQwBlb0ozDUkiWoq2GSvmbfD3afF6MJ4G0clOfAVEfZHroQ5
Q1J8MlNvg1v6zw1wdo8SSWRyOTIXjDNxL6lvigSUSvPNWIlQQ8gnKCSa8XU9JL61PRNGkSg8VavI
g7zIBuetD+W4jwdRRZAZztbXthPytmVLVEUQnFqK40V6TQUHXDIyy1Qy+WRYNE/I371yI8h2F1L4
cqJWfiWY9R0lVjANIdRExCrT8RxzPxxNB+d/zibcYKdtfSOHlekWQ460bKjQmbO4K6mmckA8D5k2
/+RDEry3hzMlNrQWmVKGs70dkRSaOfkibEaUAXucANb4EmDJL+qoRAgydXWdU83fKPvYhv1ADajj
0/El3s68rD9aiTy3ctnI4AZ6bLTlqHSDxUiOP1ZRonEeosAM5AqvLvh3KSu1Jr/wdSGoKioSn0QT
Q7lq2XROjEx/lkxhPzGPraKi6TFnhws3PiiIWQRkaUERhUDfRnt1JETwAMd+UMd8EOgP6gQPgvYD
x1dG1dTikP5/rYphPzAoAAA=
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
