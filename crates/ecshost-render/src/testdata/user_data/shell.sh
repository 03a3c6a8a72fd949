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
H4sIAAAAAAAC/80Zf3PaxvJ/fYqL6meMXyUQdohNhsyjBqdMXfAAnkyn6TBCOkC1kKjusOPafPe3
e3cSkpBq50c7HSe2dNrd29+3e/vdq9rMC2psqX1HfrYDe0FdMnsgnEaRPQ+jlbGOwjvPpZFBHbYM
GSdHTrha2w4HQCdcP1RNjVFODLrRusOLn3qjtn7wKJ9ahhs6tzTa6tpg3BtM5Df12DICRgMuvvav
J50frnpj/Bw/twxvze2ZT5kAaKYhmjuQZgIzuJwI8pcTID3nsNK7GP84HE+m8Hd6MRxc9t8jwP5q
y6hR7tRAQPxvOmEw9xYp/NHNYNrtj9LIagkw7+yoFm2CFPjV8H0eXC0pcD9c4EYplG5n0snjxGsx
kjcTHLo2t9OyTS7yiGppJ1UK/OL9aHhzncfYrQISe2C1Oas5iyjcrNOoV8Ob7rQ/6IP0vfHN1SRD
If8xxbXjhxtX8F2LKNv43PydhWmFfegA2rgHxuiO00TT6y3DatTRyp2fe22QyQBPDbg26E0+DEc/
pVaGHwbTePWBMq036F4P+4PJ9GZ01V5yvm7Valbz3Gy8PjWtN3Wz0Tqr1+4aNSeiLuB7ts9qmvSL
6fjHTuN1s33+pmmd2ycnjt08s8+azfn8hL6hZ6cNeHWtWeP1yelZ/awxm1nW2XzesN7MG+f0xHLm
zum8ceaea2Dwoyp51KizDIme8GqyZYscHOvk3WFD22r2eu0/TFeU26ir6WJjR65A0w/ioNCJcU+M
AZHxZdyMeyPSeFdz6V0t2Pg+eXoiPNpQzZuTVySPdpFBMzwio7NODJckGpF/aycNYvxOuqPhdZr+
W8KXNNjjp58hbL2YtDb3kNNfgdOjPM0xuRyOPnRG3ax8hEHaMQLSWFd18qpNdKOTACLVHR86+U2x
e7/0fLqnjW4JXlZeNyQt/B3QAqljAlaOhJJr3wKcRLYwxPWoBxE36Q/ef0s7KPL9NPnPtgYSbaap
BsS4yigoZY/Gu0NLMZMI3Hypz83der1FnUarhYxYjbNnRG2+3OdKSWdM0/w823wVvy+xzV9yDf+2
WjY5TNeQTyGPFCaJr492cniofXFsPhOaSPvvig7QUwSZljq3RckUrF+sRWW5iPJNFJA6KrwoI6sk
Hi8aYrGFuKT/c3dMZj7wS+5tRlYeY16wIEcHVvUtiaiB5Dzqxvn+3ubOsojFYu6JgDcYtyMufRgK
sZUdgM7viDvbMGMVBh4Po5IALeY7CDO4b8nci+i97fsu8Rh85XJbsOwRisi9FY1QFsEhq0pZ0jrL
cGIYUE1wuiI6f1jTdoV5i8D2K997WPjNbQeWwmhhzqkbRjZUmr9Th5uXioOuVfl+RVczGrUrI+qH
tkvdiv4cqYjCOc5uebg2uz9s2I7EwF7R4X1Ao4ulHUCZW/nejhb1ZxjQcy4uz5KI2qD1iPheQPF0
0BybUXKAr8QLNMnasdo4Zv0YIyTzJc/RcVXz2nV1XmHkeRAY8GjV8SyDbUocIzGZxnxK18QCMgdH
Rx75L7GqVU2cXm/fasdVAr8psx25VOwQGfvRwI39VdnYSgoV+LYOQftTN7BlClp7bhuzhQx1HVTB
1qBPYsxJ5fHRHHObU/Pac7fbCgiHlZxelQWA8ScsADpmBqhhfo3f2qSeHONQRBEdanNug5ojIvBj
H4UCPIBQ03dc7vK86jd0TDCKLCSp/eQDUuSSzytMP35IjDXhzhqcGQSOOHltNd+ci8Qz6ExglYcG
eBz3gIAXwt6NN2YdfqyWBCw6HD6Lp84350keJtKM3Ga3OxOi5lMVNFoAimhplSTKRfE69dZlxtYf
H4888JxPxBxQfh9Gt2PKgZcFi98Z+QhKkHt81Ktm/7rjupCG2Xarx66RVlwV90+21XUVcPEKBp2u
Q3wd//qqbpybv2GsHZsm/jHlc1Whh7dtSHkYDab4Sa2joDJMcqAiZFShGn9CzcDXjHPCe//67pTY
UhYSzpWXggViacnRRz3hG0QHfDAAIxuQR5502HF/etAzSVXVZYUOq7ol42LU64JX9TtX48Q7yvxh
x4J0CP1F577acly4JeRGB7IVnAgG/YM0yo74/SgrOeKxNRMHfNbRz+ooVREDOQn266FCRWU236kF
dtZLYmwF524Q8MiGY94wHM4wrcV6diBregsXrkn2Bdl9TEnSubjoXU++kPlwxzwrZZ7908yX1IzP
O81JsdPkKtlnrV9QyJX44eBZR4ob6hICl0UEtNI8/k1Ctay1/Eciq7TzFLu/rPP83P2LDPj8Fcg+
xpfa+mVG7vyb88tLuf13JJQXXV99qavuXRyU+pw40/F0FuK0dqp5R/IXiGQRQvHAQ5ILVihMRGcI
eAH1dSi64HCf0aR2lmWzWAo3HAsbED3V1jmbyC9p53ZYB0cCzDCCUJQOpHJcQfuBbV6jyBXy42Ry
PR1POpObcfs/j3gJOnVCl4oy3NovtEQUUB9YuV/g1b5xRyOGuSjbCy0i6DWMP0jl/eCGfADISgFr
ikIQyrIG4Y0J8sVR92P0AyjpQWdGGBgwdMCmcUiMmLFDK80Roxna2IzCE1CTu/wCFddc7FBCAYwq
C8eEClaOx4Ow7/aDEf1jA3kXyj/RGAlDinpQJ6f1OtFFHamnVQnLegyOfr9hCChQ0mB1BANkXVew
mwAaSGeJgwsBjcA1QT6NFlMOQaeRKkyL0EV1ircJHp/CxGYq3VTedUA3uYE7bZ+k6/R5uO9S0Fxm
ekZV7WIDuqCkmevC5BZx82UH7J5Ge+1X3IuKXnOr0YBtIjoNZAMQX8WU9huHhyIFxFwrtKTLSLoH
vSQ89lHhgh9TE2TbyAOHJrPIcxe0hNLTk/aZm6v+VGziJigJpGy5kvZ16rEpRG0U396JtPl88zyS
fe52Sx4fVYd1IaZV5pU9g/gguheaalCn5lgGW9owxNBTTfdewCdmQ3MIVsQFHsYMOcjMQqBBBzHE
HdQ0ESY2ZpF0zzTvqnEn9x5fikyp0IhkfhOJIkjPFXOxjqKVaDeVVDlHSKJejCcNddGA4KVDq93M
QOLAHaZxF/qbFZimfNL1zKCrFYV6ju0NlnX/08lHDTYI4BZoN79Siy7cyjhL9eLBZYx6BLqoe2hM
Y2zpaHsE1puZ77FlO39Sxf1eFihzPXAmfysYuMBzuN+GfUxvfXcqvMqEyyYTxoOcTuG20/bhY9tS
8LG+8qPSbSselZYBqiEpAIK3lAHFU1GAQkWXgakZKECpGWgZ4G70CbCZ0afCoMGdMYcLuXbR5Hir
gIBhlVbaaHKBkPoUrnl7ZX+SdE4LPjDvTwqmWsWfMJjbZaH81fNIsYuwvQM7RKZ9LwbfNXtl/4mn
cOxKLR8yAeP7WU74oJj/ZwJaj4+h5HwSmQGXqJtcbLbUVSYGCGS8bEGE0Zka2ML9oDywJTie1vJc
ftoduFXJU0IhQ0AdTgwu4SWJaiqXZO9Ed5PIl6XgwnQaJx05nRQJ9GvuL5EhqT55EO9yV3o2rmf3
KNFE5qgm9pwjE4+S+rZIQalTvBEbEUoE+QR1QiO+W4ZzbeVOhVMkBk+VIlKQV9ncu4uhHPfx1KQI
MsPZ6tb1IuxKdkRVBtFTS3G+SK+p5KCXzHcyhUr+rCu6/M7fpKITZJsHqXw5/im/8cvGjlIruIZQ
aqJidZDhEfI4GE76l79Mx+iwk5axlZO1dAch5y8uFODcmz+UFEs5IDxmbBf/4o2+fnCgZypo6Bwy
lQqyvbvPL3Rz+kn4jDjlD5CAruESYMkXJSoVihTiFprmb9R97MPhWk1TY+lwCbuVk/qzhcbnFiZb
mdzAjlZLzvW2upgf4WOVJBbHFAVuIFeweMB3qSu1Jl9wXSiqSorUJ9HEBKlaNkoS871vpVPYTwwP
q6Ro1InsoHJjQUHNIiFLD9owSPQtclAnQgVPIPaTEvNJoD8pCZ4E7SfEV07V0OKU/n8UxzCz3SYA
AA==
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
