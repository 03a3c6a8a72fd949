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
H4sIAAAAAAAC/80aaXPayPK7fsVE62eMXyQQdrBNitRjDU6odcAFuFJbyRYlpAEUC4loRnYcm//+
eg6dSIudY2sriS2Nunt6+po+8tuL2szxamSp/Ibem565wDaa3SOKg8Cc+8FKWwf+rWPjQMMWWfqE
ogPLX61NiwKg5a/vq7pCMEUaDpXu8PyP3qit7j2Ip5Zm+9YNDjaqMhj3BhPxTT62NI9gj/Kv/atJ
5/fL3ph9jp5bmrOm5szFhAM00xDNBKQZwwwuJpz8xQRIzyms9M7H74bjyRR+T8+Hg4v+WwawvdrS
aphaNTgg+6dbvjd3Fin80fVg2u2P0shyCTBvzaAWhF4K/HL4Ng8ulyS46y/YRimUbmfSyeNEaxGS
M+Mc2iY102ebnOcR5VJyqhT4+dvR8Poqj5GsAhK5J7U5qVmLwA/XadTL4XV32h/04fS98fXlJEMh
/zHFteX6oc35rgWYhC7VPxM/LbAPHUAb90AZ3XGaaHq9pRmNOtNy532vDWfSwFI9qgx6kw/D0R+p
leGHwTRavcdE6Q26V8P+YDK9Hl22l5SuW7Wa0TzTG6+OdeOkrjdap/XabaNmBdgGfMd0SU0RdjEd
v+s0XjXbZydN48w8OrLM5ql52mzO50f4BJ8eN+DVNmaNV0fHp/XTxmxmGKfzecM4mTfO8JFhza3j
eePUPlNA4QdV9KBga+kjNeZVJ8sW2jtU0Zv9hrJRzPXavZ+uMDWZrKaL0AxsjqbuRU6hIu0OaQMk
/Eu7HvdGqPGmZuPbmhe6Lnp8RDQIseLM0QuURzvPoGkOEt5ZR5qNYomI37WjBtI+o+5oeJWm/xrR
Jfa2+OlnCBtPJq3MHcbpR+D0IE9zjC6Gow+dUTd7PkQg7GgeaqyrKnrRRqrWiQEZ1YQPFf0l2b1b
Oi7ekka3BC97XttHLfbTwwWnjggYORLyXNsaoCgwuSKuRj3wuEl/8PZn6kGS76fJP1sbjGgzTdVD
2mVGQCl9NN7sG5KZ+MDNp9rc3K7XW9hqtFqMEaNxuuOozafbXCnpjGqaz9PND/H7FN38Ldfwd6Nk
g8N0DfEU4khhkPhxb0f7+8p3++YO12S0f5V3gJwCiLTYuikKpqD9YilKzQWYhoGH6kzgRRFZBvFo
UeOLLYaL+u+7YzRzgV90ZxK0cghxvAU62DOqr1GANUbOwXYU7+9Mai2LWCzmHnF4jVAzoMKGIRFb
mR7I/BbZs5BoK99zqB+UOGgx356fwX2N5k6A70zXtZFD4CsV24JmD9gRqbPCATsL55BUxVnSMstw
ommQTVC8Qiq9X+N2hTgLz3QrLx2W+M1NC5b8YKHPse0HJmSan7FF9QvJQdeovFzh1QwH7coIu75p
Y7ui7iIVYLjHyQ3113r395AkJAbmCg/vPBycL00P0tzKSzNY1HcwoOZMXNwlATZB6gFyHQ+z20Gx
TILRHntFjqcI1g7lxhHrh8xDMl/yHB1WFaddl/cV8zwHHAMejTq7y2CbEsOIVaYQF+M1MoDM3sGB
g/6LjGpV4bfX69fKYRXBT0xMSywVG0RGf9izI3uVOjbiRAW+rX2Q/tT2TBGC1o7dZtFCuLoKoiBr
kCfS5qjy8KCPqUmxfuXYm00FDscyObUqEgDtGywAOosMkMN8jN7aqB5f45BEIRVyc2qCmAPE8SMb
hQTcA1dTEy6TOC/rDZUFGEkWgtR28IFT5ILPCxZ+XB9pa0StNRgzHDig6JXRPDnjgWfQmcAq9TWw
OOoAAceHvRsneh3+GC0BWHQ5PIunzk/nSVwmQo3UJDeJCpnkUxk00wAk0UIrsZfz5HXqrMuUrT48
HDhgOV+RPsD0zg9uxpgCLwsSvRP0CYQg9vikVvX+Vce2IQyTzUaNTCMtuCrbP95WVaXDRSvM6VQV
/Ovw44u6dqb/xXztUNfZL108V4X9QLjrX90eI1Nsh/y5NCQQUsQQOgDmItLAHWgNZERQCFuKy4gV
xV/v1STuMe/S+R/uY4e/fDfuxTJbKzRjWUNp56NeF2yt37kcxzZTZiUJH8JM1CdlA3LLceGWEDEt
iGFwT2j4C2qUXfzbvldy8bOCjV/7WfM/rbNTFTGQO8F2llQoqMzmiVhgZ7XE81ZwG3seDUy4/DXN
ooQFu0jOFsRSZ2FD82T7IMnH1Ek65+e9q8l3Mu8nzJNS5sk/zXxJJrnbaI6KjSaX3+7UfkF6V2KH
g52GFJXZJQQuiggopdH9p7hqWcH5j3hWaT3Kd39aPfrc/YsUuLsxso3xvbp+mpI7/+b48lRu/x0B
5UlNre811a12QqnN8YudXdH8OK1ENG9Qvq2IFj7kTtRHOWeFdIXXi4DnYVeFVAxu+BmOM2qRTPMl
P6Qs3YGjp4o9KwzckiIvwdo74GCa5vk8f0CVwwrTH+jmFTtyBb2bTK6m40lncj1u/+eBtUanlm9j
npwb2+kX9wLsAit3C9bw125xQFgsylZIiwAqEO0LqrwdXKMPAFkpYE1S8HyR2zB4bcL4okz2Y2YH
kOiDzDTf02AUwUrJIdIixvaNNEcEZ2izEhWegJrY5U9Iu+Z8hxIKoFSRTsZUWD55OPD7dt8b4S8h
xF3I63i5xBXJUzwVHdfrSOXZpZoWJSyrETiz+5AwQI6SBqszMEBWVQkbelBWWks2zuDQDLjGyafR
Iso+yDQQuWYhOk8QWY/BoVOY40yFmYoOCNSYIXS6XZTO3uf+tklByZmpJGWzlpWlC4yaudpMbBGV
ZKZH7nCwVZRFFSqvQDcK9kgY4KknyoKoQVNahezv8xAQcS3R4tojrinUEvfYRoW2PwtNEG0DBwwa
zQLHXuASSo+PyjM3l1Ur38SOUWJIUYjFRe3UIVPw2iDq6fGwubukHonqd7NBDw+y7jrnMyz90pyB
fyDV8XU5vpPTLY0sTRhtqKlSfMvhY7UxdXBWeFuP+Qzay0xIoGyHY/DO1DQ+TKTMotPtKOllOY/u
HLrkkVKiIcF8GPAkSM0lc5GMghUvQuWpcoYQez0fWmqy/cDAS0dZySRB4EBnU7v13XAFqimff+0Y
f7UCX82xHbK07n8q+qTABh70hpKplly0oVdjLeWLAy0a+Qh0mezbnh9hC0PbIrAOZ65Dlu38TRXV
e1mgTNPgVPyUMNDWs6jbhn10Z317zK1KhxaUDkNDiqfQAzVd+Ng2JHwkr/wAddOKBqhlgHJ0CoBg
LWVA0awUoJigy8DkZBSg5GS0DDAZiAJsZiAqMbB3q82hTdcumidvJBAwLMNKm6mcI6Q++WvaXplf
BZ3jgg/E+YZBVavoE3Pmdpkr//CUku/CdW/BDoFu3vFxeM1cmd/YLRyZUsuFSEDodpTjNsj/V0DG
odXoGorvJx4Z2BK243ZnSzY4mYNAxMsmRMw7U2Nc6BqKC1uAs9ta3MuPyYUrOzAxhQwBeTkRaM0L
EtVcLyfplCbzyaeF4MJwGgUdMbPkAfRHupqMISE+cREnsSs9MVeze5RIInNVI3NOGRMPgvqmSECp
W7wRKRFSBPEEeUIj6jjDvbayp9woYoWnUhFxkBfZ2Jv4UI77aJZSBJnhbHVjOwGrShKiMoKoqaUo
XqTXZHBQS6Y+mUQlf9cVtcTz/VVmBNniQQhfDIXK235Z35FiBdPgQo1FLC8ydoU8DIaT/sWf0zEz
2ElL24h5W7qCEFMZGxJw6szvS5KlHBC7Zkyb/WZ9fnVvT81k0FA5ZDIVxnbS5S80c/yV2wy/5fcY
AVVhS4AlXuRRMRckP26han6h7CMb9tdyxhqdji2xauWovjPReG5ishHBDfRotMS0b6PyqRJ7rKJY
4yxEgRmIFZY8sHchK7kmXtg6F1QVFYlPoPG5UrVswMSnfj9LprAfHylWUdEAlLHDhBsdFMScaqiH
BAJ9C+3VERfBIxz7UR7zkaM/yhM8ctqPDF8aVSNum/8fKigVgPMmAAA=
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
