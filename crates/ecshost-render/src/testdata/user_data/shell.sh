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
write_packed() {
mkdir -p "$(dirname "$1")"
base64 -d >"$1.ecshost-gz"
gzip -dc <"$1.ecshost-gz" >"$1.ecshost-tmp"
rm -f "$1.ecshost-gz"
chmod "$2" "$1.ecshost-tmp"
mv -f "$1.ecshost-tmp" "$1"
}
# The two large scripts are packed (gzip+base64, see write_packed); the units say what they do.
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
H4sIAAAAAAAC/80a7XLbNvI/nwLh+WLLV+ortuIoo86pluJo6koeSb5Mp+1waBKSWVMkC0B2XFvv
frsASIqkWNVN2+kksSVgd7Hfu8DmX68aN37Y4LfGv8h3TugsqUduHomgjDmLiK2smEX3vkeZRV1+
G3FBjtxoFTuuAEA3ih9rdYNTQSy6NgaT82+H05558KQ+dS0vcu8o25jGeDYcz9We/IibIaehkLvD
89nHyWxuf+qP5vZseD4ZD2YIumu9a7XaTcAZXc3731wOJZz+DHt+LJybgHIJ0NmG6GQgHQ2THQy/
baD+YXSBwOXVrtWgwm2ACvBf3Y3Chb/cwp9ej+3BSIpXWALMe4c12DrcAr+cXBTBcSkDD6IlHrSF
MujP+wUcvZYh+TeSQ88RzrZs8/Miol5SUhUOOr+YTq6vEozSKiLxR95Y8Ia7ZNE63ka9nFwP7NF4
BNIPZ9eXc6RQubnFtRtEa0/y3WCUrwNR/5lHIbpN/7thD/izwC9DYYyH80+T6bdbK5NPYztZfaTc
GI4HV5PReG5fTy97t0LE3Uaj1XlXb5+e1Ftvm/V296zZuG83XEY9wPedgDcMZWN79rHfPu303t14
b85OvdObltt++/ak5Z24izdn7XeO89bzFifN5mnzzZnrdjyvc9M6Ozlx2h2vfUrd01b77eKs0zL6
gwFIOOvlzjWuJtN576xp9C+GwJ78dtrqvH1nfDMdDS6GPRUqTWP03WBm/+8kxda/9Xqnt/CazS51
290urs77s2/t84/90binFW2dT4cDOGLUv5wZF1fX9uz6Sp4WRoYTx8GjvaLCQV3by7XDvKMaeTLM
gySETGI9EGtMVARb17PhlLS/bnj0vhGug4A8PxPB1tTwF+QVKaKd59AsHwCUdLDtIbSSrfGmDQs/
k8F0crVN/D0RtzQsMTPKUW39PrrGwkcef4DdoyLBGfkwmX7qTwd5yQinHrFC0o5rJnnVI6bVTwGR
asaESX7SvD7c+gEt6WFQgZcX1otIF3+GtCxySqBVIKHlKuteEOZIE1xNhxCr89H44sssUKY92qL9
Qjsgxc42yZBYlznVZEwAQ69bipNM1M7L/azTaLXP9onZ2edp+ynnTNLZY5Mv5PbFVqnmGf9ujHwy
sGNGsSrLpPAnRzd5/dr4w+G4JxqR9l8SEKAhRt1b6t7tSJto9d360yZjVKxZSJqg6p251wDSETGT
RUsudhGXIF/kJoCiQB4cTlY+5364JEcHrdp7wqiF5HzqmeTr121g8sER7u0OFiu4JxLe4sJhQvku
NHUrJwSF3xPvZs2tVRT6ImK7w7KC7zDK4b4nC5/RBycIPOJz2BXqWDDrEYoo/BVlKIvkkNekLDmd
5TixLP7IBV0RUzzGtHfI/WXoBIdf+dhELhwXliK2rC+oFzEnZtHP1BX1D5qDQevwqxVd3VDWO5zS
IHI86h2a+0gxSj3K70QU1wffrHlGYuys6OQhpOz81gmXQOorhy2bexgwC/6tagejDmidkcAPKVYD
w3U4JQf4lfihoVg71gcnrB8Den6nyNFxzfB7TV2fMOx88G/42GqSn/CYCsfITGbwgNKYtIDMwdGR
T/5DWrWaIavV+/fGcY3AT8odVy5VOETOfjQExnM2bhkbHRawF0egfdsLHZV8Yt/rYapQcW6CKngM
+iTWghw+PdVnwhG0fuV7m80hCId9ollTBd/6FRYAHdPC8zMs6G890kzLNvTXxHSjUDigZkYkfuKj
bB2GEGpmxmWW3/XdBVQpErJWuKMUgxSFzPMKc08QESsmwo3BmUFghkSyflAloHF/DrsisjzKhQ+E
/AhOgN6y3oQ/rW4OoVwlXshj/y/nEbSXmlk4/M72w3gtbVzVQ47GV9fzHala99WYqssspsz1z8+H
V/Pf01bqg1pfeJRyJkXLcV0aC040NWJ9TRJaXYmnMp/q9fFq/fmRxI64rZXUlEZCSXWyiG7de9Cz
HylX3p5mT3k9sv24KojMp6cjHyLyM6mPqXiI2N2MCgF+z5PvnPxoHugzfjRr9dFV3/MY5XyzMXXI
5Rywhuenx5qmTmTJCiYz04S8dfzDq6b1rv7TMX6u1/FXXX2uafTorhdGBLNMXf7ZWkdBcaMAqlOR
bviTLdRMGOWDHr6Pru5PiKNkIdFCRz94cCItOQLJE75BdMAH7XOy5nnTmbli5S8qEwFsZBe1xKOq
Iyk7vBjt+5spfeQsfyRWG5dYQQ2A6C+krTum/Xnrj8ZG7vgS56WYz4OXDs0UgqfuyU8rAok9FMxx
7wDEFRxLRaJpV0TMX3pcFAXJdnZH+YtFiLZF4JUi8L9RhP3+s89x3kjH2XMz+C3rlxvjKi8cF4mU
HyGqUD/kUavA+n9OWKoy9rfHUqbNKvnKF8MvPx0M9vLHohLGy22736j9f34OKfP8z08ayru/NOD3
v+mV/UzVa6y8UojubzRVy4hyIiKyM0CJHyIPBMp2SAMTuqyYRTc0vXNgk6WXorXomRjQ29dhd82C
imtwhnVwJMEsK4xUV3d4fAgWRKucosCH5ON8fmXP5v359az37yd8mrbdyKPy+tIqNlI6BmgArDws
qQDC95RxyEKFO+SSUXCIX8jhxfiafALIwx2saQphpNoWhLfmyJdAzc9gC69CoDkrCi3KGF62J8RS
jKG42xxxmqONl3j4RE41n9+TaLGAEyopLHzdGKZUsDM8HkcjbxRO6S9rygW0d/JCKc0p+z2TwMM7
MWWfaG6rEpbNBBw9fs1hBVHyYE0AQ2TT1LDrkFHHvcVBkIRG4IYkv42WUI5Ap0zCldHT7nNjsHVo
KxdM75bSu7IOHCBAKf81yY+GCRZxVjQbZuhFjwqgrL/4oZ+sMyqfa6DfTbBVn14iEK9vAp/f9opz
j66cNxSAsksb7p6pnxqGP3JXBD04p+7H9ydy7FV3gqDOwGrUDiLXCWCz10rgKQSBLx6tKBa9wLmh
Qc/zOepIA9xHwRokLg3JNt1kSFYBiOMxDQhZoQJIz8MQSs6SKsBw+qWh9PQrD1geeiFsfuilMWh4
by38AHHKM8ONBgKGLY/5EL89nGpJhGxL6mrlfFZ0TnZscP9XCrZc6S2lVz+q63msHkZa/Nb5M6ZX
8hTpHC6cwOrOA5dDRWfl/ArMp77WDRxBucB0Csyil+s3oBSizm8hZx9nL5S+sBcRs9UNCjHkC9U6
FH5Atu+oi6icbr0o/w7lL9JHrSUlncLLjjoiedBxQv5AWelJR79vqferjUFDvmbU1kGVvE9U3LWx
CyavtrjWaMkNG3YSjIrSUUZ1GcWCbWlnITfM95a0gtLzs/HCw5Vm1CFeipJA6veHNG3ZPrchmFky
C5DNxP4Hual6O9tsyNOTfl04l+5Zv0S35cSsclwze8grF8PUbGgOyYqcCGA9IQe56S08+oEYAMIK
ORiNuUu6PQ+CTAlEHnxxi5BEoxHF/JrJq0HuIWA7269APVqqkiOkFZHL6iy9TYFXjszTuaPGIVnW
qkbq7hmzd1mE1t9VvLBUlX0ItYs+VFCXmQR5WhlR77gEwOlTdFfGsjoe/CnfisF52wN8s6ZbBQWO
fYLqCJ6zUl9TPKUUcgR06HNypEnUMkvlX7F1rP9eB69w1sSkan6Mn77oxRkZUuqTaQ6+7foPMWZ2
RrUm8omQOAuBTDwp6pucgso5sq2NiAlYfYIs3K7VktSZvlfaXNC4+GiJG6iYfDsvGdJDrMr3NcxI
K8+WDodki0VEKemVippyBS5oJpmh7YDMS72683xGrBiIFvoPE5aK3QauFVoLs2LalysxiYW3/o+G
Li8p2w8MlG0v47WNVTFVImAQXGArmX2kKhFU0FAi6r6Z0aXPBWXoZARwOIZ5MTfuGsAUDFqIam0U
cFo0SWYgKY8aNTyNJ/PRh+/tGYbSvGtt1Ih2+1alZnmeBbz7i8eKIlkAwh7Y8fA3TofMgwMzd6uI
vHyFQrbT2dDuAKSf0ZtVdj9AAqaBS8TUX7SoVCoJxd1t2P06TD05igs3AlzCm9ib5r5C8eLCspHp
E+3R6qpZ7wbTmnKBGkkth0kQzKlW4AN+1zKrNf0F16XANbJLDbitp4q1ivGimvkWdQN4cjBcI/LX
DrKoJM0wqgtTt7bomoOzQ5/ZJFKUZ2D/WbP7LNGfNSfPkvYz4msjt40k+f8fv+kWJwUpAAA=
ECSHOST_EOF_3
write_packed "$ECSHOST_ROOT/opt/ecshost/self-check.sh" 755 <<'ECSHOST_EOF_4'
H4sIAAAAAAAC/8UZf1caSfL/+RSVDgnCphlAze7iTu6Msom3UXyAm72nHm9kGp0VZmanB41H+O5X
1T+cGZA888fdPX3QXV1VXVVdv7p5+cK9CiNX3jgv4diP/GsRwNUDZCJN/UmczniSxndhIFIuxvIm
lhlsjeNZ4o8zRBzHyUOt4UiRAZ87h72D37p9j1UWetThQTy+FemSOUenBD467fAwwenJoHsy1Khq
SLiRFFGmkLsHg4+9wXB00DsZ9D51B4S2CutwNxB37jiOZDwVoCZZ9jBoFuhP+7333dHR8f6HrmKx
Du7wq7l8uIq/dKZ+JmRWINYqjA73u8e9k9E/Br0T4rF5FQUS2djVGruBL2Zx1PhTxhGp2x2eDEaH
R33PvfNTN51HbiSySKJZhvvvjYZ2TCbK/KupkEi5f3jY7w4GXuvtz4327k6j9WOz0XZOe/2h91PT
Oez+fnTQ9aaxc7J/3PXwgDieX5TRhp97/d8KkN7nk5GFPgjpvP+EGqjRWf+Td5NlScd1S7t0fmq6
d213nIoAGYT+VLrO+/7RIRpTK9l0jo4PB6Pfd3Lp9LczE5kf+Jk/up77aTBKUkFnu1WDhcMqVk8G
/B74AWhT8rNBtw88BFbRm+BygBOzhbvdRsCfcNjvnUL7nTruaD6dwuvXzjmiba3yHcCvvf7n/f5h
CfsrSBEAj6Cd1Bh4wPi+xUPuRVEYXBLvVbYZpL6S+rTf7ffOhkcnH75faGfppMKX6LoeY879zQNZ
JgdVzKiyMIPOD2+WF6zSumAd/GpfMIYcwglgHM78CPW5g/E8nUK+A+72urUH2Y2IHIzfK+ERgiOm
SHV/TdHK70QqwzhaMc91KhLgf0H1w8kZfEbMaokL0SKX8t4E/ObeJsa4oZbCwKM4Es4kdMj7lAlu
RjOv0savuVfZxq/Mq+yQonTCLTovDpeaM0ilxB4QOzNBJJNMGDDOMcI8pNoD3GHsI1ZF7Qph5JAx
ani2f2facIgc4+KXB6jWq8Al8Bkyw/0Z8D/UaIajj1D9g/v3kotxm1sX51l8KyKeZVMuBWajQHbg
bbNKzlKFj8Ph6Wgw3B+eDbxXC1JzNI4DsawqnnNWcoq9PYcMVEO94zmKvqXkI5CSjysB6Wz48FG4
DFrk6pzjzhmGGI8jLtI0ToGThDdx4Fnp+Y3wA5F636NDD7iVlA6VRCP5UbYkDaNsAtVX8iIibZTM
LI+vqnT/BXXS/8I9b/KfG5d1uNii0WX+cVFr1N2LlptUkTDzwylR4i4587IFZb4TDhZamA5vNjHp
k/mKflbTfmO0f+HBh+7QOs/jBkXu5IxV7dulA8jCmcCpNrk9j39CPJngWaybSO+wSYV2s5nroELh
u0za+J9adBKSUes12GguwHUh/TGmIz+S9yIVAcWxCbcWhVq9SIR8Ua76Kp8apCKbpygpMixT1B/X
mmqthGr3DpN2pPYNRymGfAO/I6/pYPcCIwgJtw3bsLMHQUxLaOst/II6tHffwg9QWSDdq1eN+rJW
0ywI8LLeWDoBZSgxvonROkhCeTdqhypZGTDyQkXfvYP2DrxGhru1WuMR1nq7DvupDLIzxVqOIn8m
PMZoeIfx6zExlkmlogBztS/59Yti+qUSxVbzL3z9WsbKc+OGVB3Fo0jicfAwsa2YY22NrkACTMOI
HFVvyHeAx+AHQQrYFt4D8szLYDGx1Yh0HAZkV8PkZR3wM4NlaYlGeA5QXxoHMiDlRg315yovJx+y
81Zbe35Nu0euxlUaBteCy/kV7pRrYr0GeV/fF7Z1cVeSTkQ58GXdVUAflcaz2iI/Qx0VKauhFFtb
LfjlF9jabgMHTV2r4bBlP9WxSRF4qkPR7QUDFOg+Tm9RL5mIcQZaVOAYYotF6kc4bhxgQvfRSKlc
LheLxtHp3c4+2lpInMNiIaJguayWzAxaMJc6inAqoEP+ri3JoGIEYcqYON8iP9bK+KzmMowsqyl9
K/GNTVE+4d/aeFMxkbuquRRwVVt5pcKx5CoXNX6p+lxyE5wbopJ3aO8rub49QUW64oNoyMdm2rUM
aUOzHXrXrdnNhBCD7CERQENIhEiBKABnTSNbLpdp+CwbKbIim5kvMSYKPj5PiGC96UASBit8pvFz
0CmatPSr51PR3sUozJTwz9+asJ+zeYpVQKjdAzHx59MM7kL/0d3NOdlkbDJCEN8XMgfZKT+vpUWw
WesceFS0tq3GBXkDMc1NXm6PCu5EaBvcqehIkzAXd+lkqZ+AkQi6fxwNNaQqvoQZtLBXOzuFo5Mh
oHWOHQyVdIqZc6SarlEQSryQmeJGZSWhsuLi4lhnpDrFmu04tsY+OU7iUvotSafuHPryFFj1Ta7b
ylKoXjSrQH+/KOpZQLmyzECFr5VOt4TexJ9KUaekyMoroFbYeg21oTwJdTTrrr+Lbf8KB3Z+3pGJ
Pxady8t6pzhRrKl72HwjLkmubyzfKh36Mss2XEiYrhgVcyF2MeVan/SnoS+9xJdSdVRmPsHuh+5W
oKbAopi6447dhnQXUZDEYZQpXHt6KpHROVFnYg8pR5W3YaLYWgji8fE0FFFmds8yMUsyr2nSMPE0
MAYco2qbmAaxRaSMa4bwAyVd6xB0XQBOfStywEs6g119/CfxUXAU9cVfcyGzei2XTZlAJWtntY/a
aTYLiPd+GpWVsK0z4hU41EBOhUigXUr+1lKWmIxFFrTGglXz6N5QXcTwf0btbqEc2jJo6l/jYywz
rH6T8LpxogvlMVIs1aWJnjnKAUGNjuI4C6UMo2srHMFQMByZVw8Gl4S7oNUc5tniS7f9IqFNgqTU
0joavaSMTPXOHa4Mzx2vBAZGjDuaPZmh/Eai/MrKTm8zSrYHIa1Rae3pZxWzXl7MpVtZyMUrw4Hi
w08S9OSAxCPSp9DUJ8fbDyGV02RJh/y96SlNNuRXg1Bezb21DAf1SaJoYcur2gDa4zJf3o4SP7sx
Es4CObqaUhrWdjcVjLFv5gCDVQx3RFd9Odgmmu6NJnIZldZy9NqCaCIckZ+KZ8jFJR3gyVDOcax1
crJSMBN1AV0ffxmdRvwxTJ28OKz444vyMRKTgimLriGmipL/G4mV1fRrmjFW2zBIVo11eobGMk+R
j29o+mHW9ZPQVc8UDNo151qs2XkzKXkwJxd2idYeAilnL63IBIWx9aSolLLXuqpKEm7JUd8ys2vx
PcwQu8hKijJR7si2iSpb1YKeeN42CIVUO8OkZBPuBpoN90Pt2jmrdB4B5+kMP0yKM6l0E1t6OTHP
V7vq3cQGBm1iq97fOjYsWu3z3bc/XnaosWltn7d3fsYxtS4rAaMbH0BfB7YePM9wf2WTdf9/Ohn/
F4yxrYyx7r3fb5hmRxtDivROpKbpEwGr20cXt157hkMai1iXNJ3Amk/anmCDb1pbWTs+GpxsSVnX
IkD5OCz9HuQJqLi3JVeuvfGEYFWpMl/8f0osUivnWy4otE651u6wqd7oqk9ba+smYfCtbmeQ+Zlo
nIbBtxoc4tHcUJy+/6UnlzDvZnNY3s/aZ6BSOkdRTCd1bmceNK1RVnjpIad0qxJbqT7q6xOxcCPp
Ytg8uwDs1lYq6MoTa60gQp4G1l4dyxVgo1jPLS4kF1szcV6fc5jK+HE0fVBGedpmeAo0I49aFb5J
Gq4QKcvkSUwpvAEpFRN6CSqGb3zrZelcqKuthJCCWN2aWKHLp3GpoyVAuTlk60FTirC1SLYcCcqK
V2i5dqeIb/U9dw/spZV+Wy08my/YHeu03rD4lnVeyTdsfCPGt5J1Fkyr0mGvJHvDrDp2XlLJAstq
WWhZNQvN1TOAoooWlqupIcs3TP+2RwK+kjj19eOeJUjiNNN6qHA3VFW4cFgFNfx/HBDNrNDA7EWc
hvRzNHvMTDVHvRMzW/cG3U+/jg4+dg9+gwqdGXNWf+kgfKacz/ycTy5YWf3FP/cPfo9EBjWvM09y
hXc5Zvll4Ssol7fedA7asJ4Cw6XzH36VD18YIQAA
ECSHOST_EOF_4
if has_systemd; then
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
    run_scripts
fi
