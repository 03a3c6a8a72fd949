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
start_units() {
systemctl daemon-reload
systemctl enable "$@"
systemctl start "$1"
shift
systemctl start --no-block "$@"
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
H4sIAAAAAAAC/8UaaVfbSPK7fkWlY+JjkGUbyMyYUXYJeBJ2wvFsM5l9wPoJqw0aZEmjlmFYx/99
q/pAhyHH2+slD3dXV9fVdXXbL184V0HkiBvrJRx5kXfNfbh6gIynqTeL07mdpPFd4PPU5lNxE4sM
GtN4nnjTDBGncfLQbFuCZ2AvrIOT/V8GQ5fVlmrUt/14esvTFbMOTwl8eNq3gwSnx6PB8VihyiHh
RoJHmUQe7I/en4zGk/2T49HJh8GI0Kqwvu34/M6ZxpGIQw5ykmUPo05h/+nw5O1gcni0926gSVTB
fftqIR6u4j/7oZdxkRU2KxUmB3uDo5Pjyd9GJ8dE4/lVFIhnU0dp7Pgen8dR+3cRR6TuYHw8mhwc
Dl3nzkuddBE5Ec8igWYZ773VGpoxmSjzrkIucOfewcFwMBq53dc/tns72+3u9512zzo9GY7dHzrW
weDXw/2BG8bW8d7RwMUDsvH8oowYfjwZ/lKAnHw8nhjoAxfW2w+ogRydDT+4N1mW9B2nxKX/Q8e5
6znTlPtIIPBC4ViHRwejKrL+tN4ODw/Q0MoAHYk6+XXbraLNeeb5XuZNrhde6k+SlNO5N5qwtFjN
2ICBfQ/2Pigz22ejwRDsAFhNMcFlHyeahbPVQ8DvcDA8OYXeG+kK0SIM4dUr6xzRGlW6I/j5ZPhx
b3hQwv4EgvtgR9BLmgxcYPaewUPqRVEYXBLtKtkMUk9KfTocDE/OxofH775daGtlpdwT6NYuY9b9
zQNZJgfV9Ki21IP+d5urC1brXrA+fvQuGEMKwQwwRudehPrcwXSRhpBzQG6vuruQ3fDIwti+4i4h
WDzEXffXFMn2HU9FEEcV81ynPAH7D6i/Oz6Dj4hZL1GhvUilzJuAn+Wt48/WuwXX8CiOuDULLHI2
aYKbydyt9fBj4da28CNza9ukKJ1wl87LhktFGYRUYheInJ4gkk40DJhtY/S5uGsXkMPUQ6ya5ApB
ZJExmni2f2XKcIgc4+KfD1Bv1cEWYM+RGPJnYP8mR3McvYf6b7Z3LzBJ9mzj4nYW3/LIzrLQFhwz
lS/68LpTJ2epw/vx+HQyGu+Nz0buxpLUnExjn6/qkuaClZxid9ciAzVR73iBojekfASS8tlSQDob
e/woXAZddHVcR84ZhpgdRzZP0zgFmyS8iX3XSG/fcM/nqfstOpyAbSSlQyXRSH6ULUmDKJtBfUNc
RKSNlJnl8VUXzj+gRfpfOOcd+8f2ZQsuGjS6zP9cNNst56LrJHXcmHlBSDuRS068bEGRc8LBUgnT
tzsdLAhkvqKfNZXfaO1fuPBuMDbO88igSJ2csa58u3QAWTDnOFUmN+fxd4hnMzyLdROVOVRV6HU6
uQ4yFL7JpO3/qUVnARm11YRnzQW4zoU3xXTkReKep9ynONbh1qVQaxU3IV2Uq1Wl04SUZ4sUJSWC
peXW41pHrpVQDe8g6UWSbzBJMeTb+Bm5HQs7G5hAQLg92ILtXfBjWkJbN/ADWtDbeQ3fQW2J+zY2
2q1Vs6lIEOBlq72yfMpQfHoTo3VwC+XdqBfIZKXBSAsVffMGetvwCgnuNJvtR1j39TrshzLIzCRp
MYm8OXcZo+Edxq/L+FQktZoELCRf8usXxfRLJYpV8y98+lTFMrnxmVQdxRMqPlEMQQJoOd2qGRrM
MoZHvyBpwiAir1Xc7W2wY/B8PwXsH+8BGeQ1sZjlmrR1GvhkZE3kZQvwbwar0hKN8FCgtdLepEHS
p9rynyNdnhzKzLs9FQZN5SsFnbQscJUG/jWH+yC7AS+Cw9O7bRCLK+RfUNB4FrK8vi9I47SkjCGP
cuDLliOBHnlVo9YgX0TV5VbWROEajS789BM0tnpgg9rdbOKwa/7KoxXcd2UXo1oQBijRfZzeoroi
4dPMCG5jGC6XqRfhuL2PSd9D26VitVou26TMHh4BFziH5ZJH/mpVL1kflGAOdR1ByKFPMaEMzKCm
BWHSxjhvkK8rZTzWdBhGn9GUPqX42tQoH/duTUzKuMndWV8qbFl/7VrNxrIs3Vj7ruyTyXtwrjeV
nEZ7aB4e5mCnXhTFGUyRd8bBezQaoYnEm/Kq16KNH/t0x/AiWbQk6I+3WhAdgQyyh4QDDSHhPJW0
AWcdLXYusu4XDRnBsyKZuSconPKoWCRyw3rPEgkGFTph/DXoFH9K+urR1ZTjMQpMKfzXsybsr2Ge
YhHhkrvPZ94izOAu8B4jQR+hyeU6h/jxfVQ5yyRcXIOn7I1V5zFyCye5MltNOjwHOyqegynzBU18
HuaHUe67ij5o0NZ9sOh9syBXZGVlqZeAlggGvx2OFaTO/wwy6GITeHYKh8djQLsdWRhfaYjpdCK7
uYkfCLwF6qpJ9SqheuXg4lRltxYFqGllGlOPXCpxKCeXpJOXGXUr8436Om82shTqF5060L+f5O65
T3m3TEDGvJFO9ZruzAsFb1GCZeUVkCtsvTib+J8FKgWo68QA7xMVCuz8vC8jtH952eoXJ5I0tSXP
X8NLkqur0OfKkLpBs2duOkxVn5q+hTuYp423emHgCTfxhJCtmp7PvCCkSxvIKbDizkAAOXEcgeFK
puCRn8TozHKrOUyZDOnYqAMyZ5ajitsgkVwMBKiMUWsE0zDgOG/Q1YUqtWx3mRYxy/g8ydyOTvDE
ScMY2GEGW8TKjw0i5XI9hO8onRuvocsK2NQ1IwV8PmCwo3zkOD70D6Mh/2PBRdZq5hJLO8kyYFW7
uO1Op4B476VRRbU4Ch/IAICYIDIvWwi49wQIziNo6L5eKgo3gc+FxL2K/YcmK7Bsggg5T6BXqkPG
4IYb2ZwOwtgc1qyselkIg1suGcnXlbqAWRrPgYyhLpX4f06te6Fsm3Kt63T7fSwyrNKz4Lp9rGrT
Ed3/5AWQnnPKMUhNm6Q4D4QIomsjOcFQahzp1x0Gl4S7pNUc5pomgV4uihtNRiaNV8a3SaeJLpi5
j5fhua+XwMAerQJT04PkHYsAxRgNVHkJkl5ttKLXKSn1AxfmLGjt6ccjvV5ezOWuLOSCl+FK8hRP
m+4qQO80cBVi3jSRG0QgMRYhcs1IBUn+SVJy4yTzxO3ELCEZuhnSvkqqL6meP9Q9ZYBnaoRGKK/m
wVSGAzPVIF1EQvW7T2V3lTYqRJVZlYdL9RIvu9EKzH0xkYpzdZqmfLPP5jWN9eUUhkTkTQfMtYRu
4jobUWFm5YykOwFT6xD5qRwFuRKkGTyZnnIcY9J827+XoIhdkT75Zpn+12UdiKO8G8orbSWeXpT9
ifgUDu0LbstD1U79E+nJI1PPoPpMeppmUj2T07OxfvV01Bu74yWBI1+VGPSa1jVfO8TqBhLFJlkc
2mHOlXQzLwu4ARmb2lzUyVi0qqknLVwwG1zHGdIzps5iaWgS464HUlxShcxQ5nvN/9N8yQDrqqto
LPPIY9G0uuWzMaAnvvnQCIXqNEenMjXq6T3V54FyHOakMK2Abadz/KMTv64+z5Gl2NCvlzvy2cxE
MTExbcdf+iaGu73zndffX/ap/exunfe2f8QxNZiV6FbtqQxL9nSkG6AJPdMcPF2H/gvqbkl1jb9/
u8KdvlJS8PSOp7rl5j5rmbc0B/HW/FLrvuZLRv1nfMpYwFjn0XZkIUr4BgHKGczs34U8IxV5m+3S
JZ+1O1SDqUxXk66KRWrldMu1jNYpoRsOz5Q63fcQaxXVSeB/rrEbZRi77dPA/1wvRzQ6z9TFb3+g
yyXMLwc5bO16EKfIqfqKV87wKJ/uJM/NzIWOsVSFwZNNn26bKDwibFhV/irVbHWXJeJOJByMnS9U
i51mpZZXns+bBZHyGF97US4XjmeF+XwlImnYuvXRndaNU2oB9FsG2t6n3Xlp6QNx0pIJ8Ij9pkS5
iRMIg3mQGZOiqHc80hZdP2tNQ3YHimgQFduG9bcw86BffZFvwjr1L1TIL/KCRq7PFQ/je+htKo9U
70RNJo9tnbXUJOUzeod8mjUp/AVFiykuvnWzdMHl44oguVlN3ttZ4UZI49IFhwDlbp+tJ5ZyFqpm
O0ORoKz4iCPW7p/xrerFd8E8m9BPCgrfCC3ZHet3N1l8y/obYpNNb/j0VrD+kilV+mxDsE1m1DHz
kkoGWFbLQMuqGWiungYUVTSwXE0FWW0y9bU1CbghcOqpN2mzIYnTTOkhU6LeVYcLi9VQw//HAdHM
CJ0/6NCQfoXBHrN305LfejBT8UeDDz9P9t8P9n+BGp0Zs6pf4hE+k86nf8VCLlir/tAl9w/7Hjdp
1LwWP0kV3uSY5betTyBd3njTOSjDuhIMl9a/AExzvjgPJAAA
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
    start_units ecshost-loopback.service ecs-agent.service ecshost-metadata-guard.service ecshost-metadata-guard-recheck.timer ecshost-metadata-guard-watch.service ecshost-self-check.service
else
    run_scripts
fi
