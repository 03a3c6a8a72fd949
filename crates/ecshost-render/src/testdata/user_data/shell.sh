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
H4sIAAAAAAAC/70aa1fbRva7fsXNxMSPIst2gLZOnV0CTsI2YI5tNt0DrI+wBlCxJVUjQ1nH/33v
nRlJI9nQZLenpz2xNI/7fouXL5wrP3DErfUSjt3AveEeXD1CwuPYvQ7juR3F4b3v8djmU3EbigRq
03AeudMED07D6LHetARPwF5Yh4ODn/vDHqss1VPX9sLpHY9XzDo6peWj067tR/h6MuqfjNVR/di1
A8GDRB7uH4w+DkbjycHgZDT41B/RsfJa13Y8fu9Mw0CEMw7yJUkeRy3j/ulw8K4/OTre/9A3QRjL
XftqIR6vwt+7MzfhIjEuKxYmh/v948HJ5B+jwYkJY30XCeLJ1FEcO57L52HQ/FWEAbHbH5+MJodH
w55z78ZOvAicgCeBQLGM999pDtNnElHiXs24kHLbM0/s5Uf2sjMn78dSkO/HKMRr4mH/8HDYH416
7b0fm53dnWb7+1azY50OhuPeDy3rsP/Po4N+bxZaJ/vH/R6q1UatBwmR+Xkw/NlYGXw+maSrj1xY
7z4h3/LpbPipd5skUddxCli6P7Sc+44zjbmHAHx3Jhzr6PhwtHZY/VrvhkeHqB4ltpY154nruYk7
uVm4sTeJYk5WUavD0mKVVEIM7AewD0ApwT4b9Ydg+6BhgO1BCYvzugP2r3A4HJxC5620lWAxm8Gr
V9Y5sEqtDHoE7wfDz/vDw8LpLyDQ5O0AOlGdQQ+YvZ+dI+g5NQwuCXYZbAKxKwk/HfaHg7Px0cmH
/4lua2XF3EXTEj3GrIfbRymfbKminypL/dD9bnt1wSrtC9bFn84FXlpZ/jV673zuBsjSPUwX8QwM
XjtvX7XfQHLLAwv9/4r36IDFZ3jr4Ya83b7nsfDDoCShm5hHYP8G1Q8nZ/AZT1YLUOiugmLglgCf
w6191Na3BdfrQRhw69q3yLSkCG4n816lgz+LXuU1/iS9yg4xSkpuk8psuFSQQYYs+w0QOP2Ch3Qw
YqhbGz20h7feAGKYuniqIrGCH1gkjDqq9+9MCQ4Ph7j5+yNUG1WwBdhzBIb4Ue+/yKc5Pn2E6i+2
+yAwkHbs1NDtJLzjgZ0kM1twjGae6MJeq0r2UoWP4/HpZDTeH5+NeltLYnMyDT2+qkqYC1Ywijdv
LBJQHfkOF0h6TdKntRWEtiIQdWOPM+ISaJO12zZiTtDR7DCwMfCHMS4hhbeh10upt2+5i1mg9y08
DMDOKX3VJtKIfqQtiv0guYbqlrgIFDdIM8tdrCqcf0OD+L9wzlv2j83LBlzU6Oky/+ei3mw4F20n
quLFxPVndBOx5MCLEhQGJgyYipiu3WpR0kDxmXZWT+1Gcv+iBx/649R4MgQmdDLGqrLtggISf87x
NRW50se/ILy+lrooi6iEocRCp9XKeVCu8C0ibf6lEkW/QaE26vCkuAD3uXCnGI7cQDxwTBrSj5W7
tcnVGuYlhIt0Ncpw6hDzZBEjpQSwsN3I9lqgiDGPatx+1AkkXn8So8s38TfotSysfmCCNODZDryG
nTcYqeVWpVbDH2hAZ3cPvoPKEu9tbTUbq3pdgaCFl43myvIoQvHpbYjSwSsUd4OOr4KVXq7VkNG3
b6GzA68Q4G693szW2nvraz+UlvSbBC0mgTvnlBTw8R79t8cwl0eVilxYKLxooC/M8EtZipXjL3z5
Uj6VxcbNoToIJ5R8ghD8CFByupxLYTArFTzZBVIz8wPeU6kXo8sO2CG4nhcD1pgPgAgQo6oNClGu
TlenvkdC1kBeNlBH6FSr4hY9bW1BY6WtSS9Jm2rK/6QbXJJBpe/tjnKDurIVgydNC1zFvnfD4cFP
bsEN4Oj0fgfE4grxGwymloUobx4MapyGpHHGg3zxZcORiy5ZVa1SI1tE1uVVVkfiarU2/PQT1KgU
AHW7XsfHdvqvVC36eE8WMqoKYYAUPYTxHbIrIj5NUsJtdMPlMnYDfG4eYNB3UXaxWK2WyyYxs48q
4ALfYbnkgbfCVGNKHxRhDlUdPpbdXekTUsBM7hEhTMoY32tk64oZl9Udht6Xckq/mgnllldYq9xl
Pin9JjNn3XjYMv/alYqNaVmZsbIeWUuT9ShcdKlgNKmFGu6hFDt1gyBMAItVrP7BzYRGxwS2OLxs
tSjjrJZ3MlxEi6IE7fEuJ4Q8EBPAY8SBHiHi6A90A/Ctpck2SNYlowZDRYkBZu4KcqfcKxaRurBW
swSCQQnOLPya49L/FPUl1VWU4THpmJL4r0YtT38F8hiTCJfYPX7tLmYJ3Ptu5glahWks1zHECx+C
ki6j2eIGNSnljVkn81xDk6v0ahoOzynLGXpI07zBicdnpjLMusu0wezYmg2a1ofEZ4ysrCR2I9AU
Qf+Xo7FaqfLffSzPsAg8O4WjkzGg3I4t9K94huF0Iqu5iecL6gJV1qR8FVG+cnBzqqJbQyUtVcrU
pi6ZVORQTC6GVSqOVR/iZeyruFlLYqheYNlB//0kb889irtFANLnU+pUrdm7xu6PNyjAsuIOyB22
npxT/0cJyRCg2ok+9hMlCOz8vCs9tHt52eiaLxI0lSVPt+qs1Exl7rs5Dal+mT3R6TCVfSq656aW
LbVWd+a7ohe5QqhSTb1fY1lFTRvIV4Rv3PQFkBFjW5ViJVFgII5CNGZ1VStTBkNSG1VAmc6yo+LO
jySWdAUojVFpBNOZj6kZxzjUuqDNyHJXV5NukvB5lGD1owI8YdJrKB50yteECk0qPYixXD9iJUTZ
SFsNNSsY4KlqZhUcFjDYVTZyEh55R8GQ/7bAeQvm2IxiKSeZBqxyFbfTahkHH9w4KLEWBrNHEgDg
SRCJmywEPKBwBcdWr6brelV73+IsS8izV6H3iHznKOsgZhy12inmIS3wFBvJnBSRtZJrUla1LAaO
Oy4RyVlKVcB1HM5BCkM2lfj/XJXuedpO07XK082PmPYwS1/7N80TlZuOqf+TDSANb0o+iEWbhDj3
hfCDm5RyWpMDi4qe5dB8As8u5W621kuLBBpeFC6mERk5XqW2TTxNdMI0bbywntu6uQwskwpM0xok
r1gEKMRSQIV5kLJqzZWcRRF1OI7K7B/3No+Q9H4JXk53aSMjvLiuKI9R29SrAA224GqGcTP1XIy+
8sQCR3NUE5L3EvhNoOTFSeKKu0m6RWCwM5T3iqG+wLoxltsggCdyhD5QAps5U3EdWJoNcFgpVL27
KbrrsFECKsWqLFyyF7nYiigG5p6YSMa51qZO3+z5uJZX4s+HMAQiOx1I2xLVictoxGS1UYhIWRGh
ohb16RtiFORMEGewMTzlZzKRZkv/X4BSvUgOP7NNA/7XRB2ZVtJqyMi0RX96UbQnwmMq7XmzlQrA
cuo/JGxSmZqEap100uFGWSenZ6QT8iZHzeEdN/IdOVXCCFe3bvhGJZoXiBSbaHHkjVSvSE46WSDb
wjlF6iemIWYSLXLqSgkbYoMbdHFs+7SosbokQRMZ9x2Q5BIrWgwGXqT/T8ZLAtjAuvLGAg7DF41S
19CNXtrwdUQfMLLTHI0qy1FP3Nk8HkgnYikoDCs4U4znIBsBGfh19nkCrBqcyenlbjo2k16sJovK
gf/WTX243Tnf3fv+skvlZ/v1eWfnR3xWzWbRu2V5Kt2SbfZ0c1Hm/dR1nstDfya7r1N2pb1/O8Ot
rmISYzQO7XXJjW16I52lOXhuzS4172u2ZNboG20qT0QknUx2JCEK+IWyyYhg+r6sjPRdE3d+PS1O
Nskd1p3JhJuDLpAl2crgFnMZ7VNAz/h6ItWpAodQK6+OfO+5wm6EKYA3T33vuVqOYLSeyIvfPqAz
KMyag3xtrT2gEV64PsUzIzzSpyvJ8/Sth62cmTpMBJuKPl02oXsEWLDq+GXmbNXLEnAnEPTV9A+y
xW69lMtL4/O6QdLmbC4nyqXE8TQxz2ei3Tpbl35WH5jCKZQAepaBsvdkhslSS1eVnIoyHHkR+m15
5DaMMPXPcWSgRUqf7VEgeflZ0rXOJbI6kEB16ZqWDRtmYXqgX5rI1+Fp6E9kyD/EBbWcnys+w1a8
s60tUs6JcF6hwlMZteQk5tc0h9yMWjL8PKNmiAvvekm84HK4Iohu7Iepb2eFjhAXzQaHForVPtsQ
WApRqBztUoi0yswhjljrP8M7VYvLECc7VvqzA+OL0JLds257m4V3rLslttn0lk/vBOsumWKly7YE
22YZO/q9yJJeLLGlV0us6dWcPb1QYLGARbIpV1bbTH+2RgK3BL66aiadXojCOFF8qJCoblXhAidx
oRT9X68gyD66s3ygQ4/0Nxcsi951S371YGnGH/U/vZ8cfOwf/AwV0hmzyh/x5KBNGl/6ly5ogpXy
H8Pk9oGfjVlFH2Vr3ysLUOGtcbIw28JPf9LktTWR1ZFge3IZLq3/AkNecCwzJAAA
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
