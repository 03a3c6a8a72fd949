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
H4sIAAAAAAAC/8UZa1MbR/L7/or2WFhI8WglAU4isr7DoNhcDKIkEecKONWiHWCDtLvZWUE4Wf/9
uufBPkCO/eHuCkqa6enp1/RrRi9fuJdh5Mob5yUc+ZF/LQK4fIBMpKl/FadznqTxXRiIlIupvIll
BpvTeJ740wwRp3Hy0Gg5UmTAF87BYP+X/tBjtaUe9XgQT29FumLO4QmBD096PExwejzqH481qhoS
biRFlCnk/v7ow2A0nuwPjkeDj/0RoVVhPe4G4s6dxpGMZwLUJMseRu3C/pPh4F1/cni0975vSFTB
PX65kA+X8Z+9mZ8JmRU2axUmB3v9o8Hx5B+jwTHRWL+KAols6mqN3cAX8zhq/S7jiNTtj49Hk4PD
oefe+ambLiI3Elkk0SzjvXdGQzsmE2X+5UxI3Ll3cDDsj0Ze582Pre7OdqvzfbvVdU4Gw7H3Q9s5
6P96uN/3ZrFzvHfU9/CAOJ5flBHDT4PhLwXI4NPxxEIfhHTefUQN1Oh0+NG7ybKk57olLr0f2u5d
152mIkACoT+TrnN4dDCqIptv593w8AANrQ3QVqiTX7e9KtpcZH7gZ/7keuGnwSRJBZ37ZgOWDqtZ
GzDg98D3QZuZn476Q+AhsJpmgssBTgwLd6uLgN/hYDg4ge5b5QrRYjaDV6+cM0TbrNIdwc+D4ae9
4UEJ+zNIEQCPoJs0GHjA+J7FQ+pFURhcEO0q2QxSX0l9MuwPB6fjw+P33y60s3JS4Ut0a48x5/7m
gSyTg2pmVFuaQe+716tzVuucsx5+dc8ZQwrhFWCMzv0I9bmD6SKdQc4Bub3q7EJ2IyIHY/tSeITg
iBnuur+mSOZ3IpVhHFXMc52KBPgfUH9/fAqfELNeokJ7kUqZNwG/yNvEHze7pTDwKI6EcxU65GzK
BDeTuVfr4tfCq23hV+bVtklROuEOnReHC00ZpFJiF4icmSCSSTQMGOcYfR7u2gXkMPURq6a4Qhg5
ZIwGnu3fmTYcIse4+OcD1Jt14BL4HIkhfwb8NzWa4+gD1H/j/r3kYtrl1sV5Ft+KiGfZjEuBmSqQ
PXjTrpOz1OHDeHwyGY33xqcjb2NJak6mcSBWdUVzwUpOsbvrkIEaqHe8QNE3lXwEUvJxJSCdDR8/
CpdBh1ydc+ScYYjxOOIiTeMUOEl4EweelZ7fCD8QqfctOgyAW0npUEk0kh9lS9Iwyq6gviHPI9JG
yczy+KpL91/QJP3P3bM2/7F10YTzTRpd5B/njVbTPe+4SR03Zn44o53IJSdetqDMOeFgqYXp8XYb
CwKZr+hnDe03RvsXHrzvj63zPDIoUidnrGvfLh1AFs4FTrXJ7Xn8E+KrK3UWVRNpDutU6LbbuQ4q
FL7JpK3/qUWvQjJqswFrzQW4LqQ/xXTkR/JepCKgODbh1qFQaxY3IV2Uq1ml04BUZIsUJSWCpeXm
41pbrZVQLe8w6UaKbzhJMeRb+B15bQc7G5hASLhd2ILtXQhiWkJbb+IXNKG78wa+g9oS921stJqr
RkOTIMDLZmvlBJShxPQmRuvgFsq7UTdUycqAkRYq+vYtdLfhFRLcaTRaj7DOm6ewH8ogO1Ok5STy
58JjjIZ3GL8eE1OZ1GoKsFB8ya9fFNMvlShWzb/w+XMVy+bGNak6iieRxOPgYWLbNMfaGl2BBJiF
ETmqZsi3gcfgB0EK2DLeA9LMy2AxsTVo6zQMyK6GyMsm4GcGq9ISjfAcoLkyDmRAyo1a6s9VXk4+
ZOedrvb8hnaPXI3LNAyuBZeLS+SUa2K8hhhf3xfYusiVpBNRDnzZdBXQR6XxrDbJz1BHtZU1UIrN
zQ789BNsbnWBg97daOCwYz/VsUkReKpD0e0FAxToPk5vUS+ZiGkGWlTgGGLLZepHOG7tY0L30Uip
XK2Wy9bhyd32HtpaSJzDcimiYLWql8wMWjCXOopwJqBH/q4tyaBmBGHKmDjfJD/Wyvis4TKMLKsp
fSvxjU1RPuHf2nhTMZG7qrkwcFVbea3GseQqFzV+qXpgchOcm00l79DeV3J9e4Jqa8UH0ZCPjbZr
CRJDww6969ZwMyHEIHtIBNAQEiFSoB2As7aRLZfLNHyWjBRZkczclxgTBR9fJLThmaYjkgwqdGbx
16BTNGnpq+dT097FKMyU8F/PmrC/hnmKVUAo7oG48hezDO5C/9HdzTnZZGwyQhDfFzIH2Sk/r5VF
sFnrDHhUtLatxgV5AzHLTV5ujwruRGhr3KngSChiLu7KyVI/ASMR9H87HGtIXfwZZtDBXu30BA6P
x4DWOXIwVNIZZs6JaromQSjxsmaKG5WVhMqKi4tTnZGaFGu249ic+uQ4iUvptySdunPoy1Ng1Te5
bjNLoX7ergP9/aR2zwPKlWUCKnytdLol9K78mRRNSoqsvAJqhT2toTaUr0Idzbrr72PbX6HAzs56
MvGnondx0ewVJ4o0dQ/rb8slyfWN5UulQ1902ZoLCdMVo2Yuyy6mXOuT/iz0pZf4UqqOysyvsPuh
uxWoKbAopu64Z9mQ7iIKkjiMMoVrT08lMjon6kzsIeWo8jZMFFkLQTw+nYUiygz3LBPzJPPaJg0T
TQNjwDGqtohoEFtEyrhmCN9R0rUOQdcF4NS3IgW8wDPY0cd/HB8Gh9FQ/LEQMms2ctmUCVSydqp9
1Ha7XUC899OorIRtnRGvQKEBciZEAt1S8reWspvJWGRBayyomkf3huoihv9zancL5dCWQVP/Wh9i
mWH1uwqvW8e6UB7RnUldmugJpBwQ1OgoivNQyjC6tsIRDAXDkXkRYXBBuEtazWGeLb502y9utEmQ
lFpZR6NXlomp3rnDleG545XAwIhwT5NHM1TeSJRfWdnp3UbJ9iCkNSqtPf+sYtbLi7l0lYVcvDIc
KD78JEFPDkg82vocmvrkePtBpEqaLOmQv0U9p8ma/GoQyqu5t5bhoD5JFC1seVUbQHtc5svbSeJn
N0bCeSAnlzNKw9rupoIx9sUcYLCK4Y7oqi8H20TTvdFELqPSWo5eWxBNhCPyc/EMubikAzwbyjmO
tU6+rRTMtLuITsdfQacRfwxTJy8OFX98UT5GIlIwZdE1xEyX+3/jZmU1/ZpmjNU1BJKqsU5Ox+bx
zNVPta6fhK56nGDQbTjX4ol1qxvIWzm5q0s7rMFJEXtBxQ3I2NaOogLGNlW1FH9ut6NuZWLX4luI
IXaRlBTlTbnT2oapbEELeuaZ2yAU0uocE5BNrmv2VO6CZTfOSaWLCDhP5/hh0plJm+vI0iuJeara
UW8kNgiIia1wf+vZEOh0z3befH/Royams3XW3f4Rx9SmVIJDNzmAfg3saaD8tatrmzz19ecT73/B
GFvKGNZnv90c7Z42gRTpnUhNWycC1rTPKm6z8RVuaOxgHdHU+ieeaKv+Go+0FrLWezQzWZDyqkWA
8iHY/buQp5gib7tdOfTac4GqUmW6hnRVLFIrp1suGbRO2dRyWFNRTLkn1tq6SRh8qZ8ZZX4mWidh
8KUWhmi015Sfb3/LySXM+9Uclnes9qGnlLBRFKaZntmZB21rlAotPeSUZFU6K1VAfUEiEm4kXQyW
v0jxO41KZaw8nTYKjPOQf/KaWM72a4X5cvkgadgTc+bVNoepnB5HswdlgOftgxanGXlPVeQ26VXZ
pOyRpyml5hqkVFzRu04xVONbL0sXQl1UJYQUsOoOxAo9O41L/SkByq0eexog5WiqRq2lSFBWvBDL
JzeE+FbfWnfBXkHpV9TCI/iS3bFe5zWLb1lvQ75m0xsxvZWst2RalR7bkOw1s+rYeUklCyyrZaFl
1Sw0V88AiipaWK6mhqxeM/1LHQm4IXHq66c6uyGJ00zroULb7KrDucNqqOH/44BoZoUGZq/VNKQf
ntljFmo46tWX2co26n/8ebL/ob//C9TozJhT/d2C8JlyPvPDPblgrfrbfu4f/B43GdS8pjxLFd7m
mOV3gs+gXN560xlow3oKDBfOfwBxCfIVAiEAAA==
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
