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
H4sIAAAAAAAC/80Za3PaSPK7fsVE6zPGtwKEHWyTInWswQm1DrgAV2pr74oS0ggUC4nMjOw4Nv/9
eh4SkpAW51FbW05sadTd09Pd089fXtXnXlCnS+0X9MEKrAV20PwRMUyI5YZkZaxJeO85mBjYpsuQ
MnRkh6u1ZTMAtMP1Y7WmUcyQgSOtN7r8vT/u6AdP8qltOKF9h8lG14aT/nAqv6nHthFQHDDxdXAz
7f523Z/wz/Fz2/DWzJr7mAqAVhqitQVpJTDDq6kgfzUF0i6Dlf7l5P1oMp3B39nlaHg1eMcBdlfb
Rh0zuw4H5P9rdhi43iKFP74dznqDcRpZLQHmvUXqJApS4Nejd3lwtaTA/XDBN0qh9LrTbh4nXouR
vLng0LGYlT7b9DKPqJa2p0qBX74bj25v8hjbVUCij7Tu0rq9IGG0TqNej257s8FwAKfvT26vpxkK
+Y8prm0/jBzBd51gGvms9omGaYF97ALapA/K6E3SRNPrbcNsNriWux/6HTiTAZYaMG3Yn34cjX9P
rYw+Dmfx6iOmWn/YuxkNhtPZ7fi6s2Rs3a7XzdZFrfn6tGaeNWrN9nmjft+s2wQ7gO9ZPq1r0i5m
k/fd5utW5+KsZV5YJye21Tq3zlst1z3BZ/j8tAmvjjlvvj45PW+cN+dz0zx33aZ55jYv8Ilpu/ap
2zx3LjRQ+FEVPWnYXoZIT3it0WUbHRzr6O1hU9to1nrtP85WmFlcVrNFZBFHoOkH8aXQkfGAjCGS
98u4nfTHqPm27uD7ehD5Pnp+RoxEWPNc9Arl0S4zaIaH5O1sIMNBiUTk3/pJExmfUG88uknTf4PY
Egc7/AwyhM0Xk9Zcj3P6J3B6lKc5QVej8cfuuJc9H6LgdowANddVHb3qIN3oJoCc6pYPHf1Psfuw
9Hy8I41eCV72vE6I2vx3gAtOHRMwcyTUuThCK40RIOM6s1XqZM23h6biN1Fe66Xac51Go43tZrvN
BWw2z/cor/Vy7ZWS5oeEfxsta7CzNdxxsO1Cw/1xC0SHh9p328sec4GzELih2L4ruoSgleKTKrkS
zCISoAYXStFNVpc/XjTEYpvjosGH3gTNfZAFerAoWnmUesECHR2Y1TeIYIOT87AT+4kHi9nLIhaL
uUcC3qDMIkzaFgTwlRWAXO6RM4+osQoDj4WkxByL+Q7CDO4b5HoEP1i+7yCPwlcmtwXpH/EjMm+F
CT+L4JBW5VnSMstwYhgQhRheIZ09rnGnQr1FYPmVXz2eMLiWDUshWdRc7ITEggzlE7ZZ7Upx0DMr
v67wao5JpzLGfmg52Kno+0gRDP6f3rFwXev9FtEtiaG1wqOHAJPLpRVAelT51SKLxh4G9JwZSh9E
sAVSJ8j3Asy9imZbFKMD/oq8QJOsHauNY9aPuRVnvuQ5Oq5qXqeh/By/HR7cCXg0G9wHwjYlhpGo
TKM+xmtkApmDoyMP/RuZ1aomvN6bN9pxFcFvTC1bLhUbREZ/OHBie1U6NpMAB9/WIUh/5gSWdBNr
z+nwGy2vow6ioGuQJzJcVHl6qk2YxXDtxnM2mwocjmcAelUGDuMrLAA63F4e+/6M3zqokbh/CL5I
h5yOWSBmggR+bKOQuAVw1fQtl9J1c/+r8lQQJYvJgiPJ+x2G4BTcs92M+5BETQfDd4ANrs0PkbFG
zF6DMcOBCUOvzdbZhXA7w+4UVllogMUxDwh4IezdPKs14MdsS8Ai1/1NPHV/Ok/S4Us1MovebVXI
JZ/KvLgGIPmSWkluuUh6Zt76L5RNuEGj2hCzh5DcTTADVhY0fqebDdjD4KbrOOB7xRtYU8os0kKr
8r2TLXVdXbZ4hV+445r4EfYNl0hYCji2wc39KbLkHgiKIGkzoAQ4MkURUJFxi9dGXx71rRuLr4kK
/oV2opJb43Lc74EyB93rSaKUMjXoCddSD/qLQqLaclK4JbgkG5wEOGIDf0ZN0BSQeYlxl0RtnkmL
mJ21r/MGP1URA7kT7KYKhYLKbL4VC+ysl5j2CsJdEDBiQXQ1DJtR7k1iOdvgrLyFA1Xt7kG2H1Mn
6V5e9m+m38l8uGWeljJP/27mS9Kp/UZzUmw0uSRvr/YL8qcSOxzuNaS4/ikhcFVEQCt1nz/lqhbX
Yn/TzSop2NTug/Tu5s/av0iB+yvWXYzv1fXLlNz9J/uXl3L7z3AoL+o2fK+p7lSnpTYnojcP0eI4
7a1o3qJ8vwctQkhOWIhylxVyAlGQAV6AfR1yHYjwc5ykrDJbFUthxHhOAUdPVVN2RPySKmqLdXAk
wAwjCEX+gCrHFa4/0M1rfuQKej+d3swm0+70dtL51xPvWc3s0MEizTF3cxxxC7APrDwseCfWuMeE
cl+ULUEWBFJ84zOqvBveoo8AWSlgTVEIQpnbcHhjyvliXPYTbgeQSYPMjDAwoEfMa7URMmLGDs00
RxRnaPMaEJ6AmtzlDxS6rtihhAIoVeZsCRWRtA3DgTMIxvhzBH4XkjdRjwhFijxOR6eNBtJ52XSs
p0UJy3oMzu0+ohxQoKTBGhwMkHVdwUYB1G32kveZBTQHrgvyabSYcggyJTKhLEQXCSIv4j02g9xy
Js1UthigiIugBemjdHrshrsmBTVdplRTXTRe90H63MoVP3KLuOaxAvqAyU7VE5eAosTbaDigEcGz
QCbecQekNM0/PBQuIOZaoSXJPaTnMUbx9dhFhX4sd03gbYkHBo3mxHMWuITS87P2jZurslBs4iQo
CaSsdJKqcebRGdxaEje2hNvcX7OOZXm52aCnJw9K4i+odimGC7Vraw73A+leWFNzFTV2MOjSgp6z
/ldFTaI2rg7Biuht8TuDDjKta9nVEq2fWXKYWJlFp9tTM6t6GT14bCk8pUJDkvmIiCRIzyVzsYzI
iosnPlXOEJJbL6ZJhqrvOXjpjGHb4pU40N4z7kM/WoFqygcTe+YSbRLqObYjntb9R0f/1WCDAJov
23GDWnSgGWIv1YsHPRD1CHS57DtBGGNLQ9shsI7mvkeXnXykiuu9LFCmKj+XvxUM9M1s5ndgn5q3
vj8VVlWDHk8NpjkMz6DJaPnwsWMq+Fhe+cnWph1PtsoA1UwLAMFayoDiIRZAcUGXgamRFUCpkVUZ
4HZSBbCZSZXCwMG94UIfrFM06NsoIGBYuZUOV7lASH0K16yzsr5IOqcFH6j3FYOqVvEnfpk7ZVf5
h8dHYhehext2IDXrQcwp69bK+sqjcGxKbR88AWW7Xk7YoBjXZi60HoehJD4Jz8CXsJP0E9uqg8gv
CHi8bELEb2dqvgZtORmwJTiP1jIuP28DrmqzJBQyBFRwotD7liSq2e5KqhW5HRy9zAUXutPY6chh
knCgP9I25AxJ8clAvPVd6VGmnt2jRBKZUI0sl3EmniT1TZGAUlG8GSsRUgT5BHlCM27pQlxbOTNh
FInCU6mIPMirrO/d3qEc9/Gwoggyw9nqzvEIr0q2RJUH0VNLsb9IrynnoJeMVTKJSj7WFfWc8w3M
3CVQ8gEdC+kkslIRiceCp+FoOrj6Yzbhlgej7o0uU6BUKSDnFw5k0sxzH0uynhwQjxeWw//yjrh+
cKBnUmEoATIpB2d72w8vtFf8RShfhOsDTkDX+BJgyRd1VCwkIo5bKOOXCDG2qnCtRn8xm3yJ1w8n
jb2h/1tThY10N6AQsy0HXBtdDFL4YxUlquNOA/QpV3g45+/y0GpNvvB1ceIqKpKDRBOjlGrZTEUM
unaEA4hiHFZFRcM7TpdLKeYY5JVqSEcUfGgbHTSQOMsz8P+s+H0W6M+KlWdB+5njKzU3k470/wGL
774J5yMAAA==
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
