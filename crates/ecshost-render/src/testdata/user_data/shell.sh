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
H4sIAAAAAAAC/8UZa1MbR/L7/or2WLaQ4tFKAjuJyPoOg2JzMYiSRJwr4FSLdgQbpN3NzgrCyfrv
1z0P9gGi4g93V1DSTE9Pv6ZfM3r5wr0MI1deOy/hyI/8KxHA5T1kIk39WZwueJLGt2EgUi6m8jqW
GWxN40XiTzNEnMbJfaPlSJEBXzoHg/1f+kOP1VZ61ONBPL0R6Zo5hycEPjzp8TDB6fGofzzWqGpI
uJEUUaaQ+/ujT4PReLI/OB4NPvdHhFaF9bgbiFt3GkcyngtQkyy7H7UL+0+Ggw/9yeHR3se+IVEF
9/jlUt5fxn/25n4mZFbYrFWYHOz1jwbHk3+MBsdEY/MqCiSyqas1dgNfLOKo9buMI1K3Pz4eTQ4O
h55766duuozcSGSRRLOM9z4YDe2YTJT5l3MhcefewcGwPxp5nXc/trpvd1qd79utrnMyGI69H9rO
Qf/Xw/2+N4+d472jvocHxPH8oowYfhkMfylABl+OJxZ6L6Tz4TNqoEanw8/edZYlPdctcen90HZv
u+40FQESCP25dJ3Do4NRFdl8Ox+GhwdoaG2AtkKd/LrjVdEWIvMDP/MnV0s/DSZJKujctxqwcljN
2oABvwO+D9rM/HTUHwIPgdU0E1wOcGJYuNtdBPwOB8PBCXTfK1eIlvM5vH7tnCHaVpXuCH4eDL/s
DQ9K2F9BigB4BN2kwcADxvcsHlIvisLggmhXyWaQ+krqk2F/ODgdHx5//HahnbWTCl+iW3uMOXfX
92SZHFQzo9rKDHrfvVmfs1rnnPXwq3vOGFIIZ4AxuvAj1OcWpst0DjkH5Pa6swvZtYgcjO1L4RGC
I+a46+6KIpnfilSGcVQxz1UqEuB/QP3j8Sl8Qcx6iQrtRSpl3gR8lreJP252S2HgURwJZxY65GzK
BNeThVfr4tfSq23jV+bVdkhROuEOnReHC00ZpFJiF4icmSCSSTQMGOcYfR7u2gXkMPURq6a4Qhg5
ZIwGnu3fmTYcIse4+Oc91Jt14BL4Aokhfwb8NzVa4OgT1H/j/p3kYtrl1sV5Ft+IiGfZnEuBmSqQ
PXjXrpOz1OHTeHwyGY33xqcj79WK1JxM40Cs64rmkpWcYnfXIQM1UO94iaJvKfkIpOTjSkA6Gz5+
EC6DDrk658g5wxDjccRFmsYpcJLwOg48Kz2/Fn4gUu9bdBgAt5LSoZJoJD/KlqRhlM2g/kqeR6SN
kpnl8VWX7r+gSfqfu2dt/mPrognnWzS6yD/OG62me95xkzpuzPxwTjuRS068bEGZc8LBSgvT4+02
FgQyX9HPGtpvjPYvPPjYH1vneWBQpE7OWNe+XTqALFwInGqT2/P4J8SzmTqLqok0h00qdNvtXAcV
Ct9k0tb/1KKzkIzabMBGcwGuC+lPMR35kbwTqQgojk24dSjUmsVNSBflalbpNCAV2TJFSYlgabn5
sNZWayVUyztMupHiG05SDPkWfkde28HOBiYQEm4XtmFnF4KYltDWW/gFTei+fQffQW2F+169ajXX
jYYmQYCXzdbaCShDiel1jNbBLZR3o26okpUBIy1U9P176O7AayT4ttFoPcA67x7DfiiD7EyRlpPI
XwiPMRreYvx6TExlUqspwFLxJb9+UUy/VKJYNf/C169VLJsbN6TqKJ5EEo+Dh4lt0xxra3QFEmAe
RuSomiHfAR6DHwQpYMt4B0gzL4PFxNagrdMwILsaIi+bgJ8ZrEtLNMJzgObaOJABKTdqqT9XeTn5
kJ13utrzG9o9cjUu0zC4ElwuL5FTronxGmJ8dVdg6yJXkk5EOfBl01VAH5XGs9oiP0Md1VbWQCm2
tjrw00+wtd0FDnp3o4HDjv1UxyZF4KkORbcXDFCguzi9Qb1kIqYZaFGBY4itVqkf4bi1jwndRyOl
cr1erVqHJ7c7e2hrIXEOq5WIgvW6XjIzaMFc6ijCuYAe+bu2JIOaEYQpY+J8i/xYK+Ozhsswsqym
9K3ENzZF+YR/Y+NNxUTuqubCwFVt5bUax5KrXNT4peqByU1wbjaVvEN7X8n17QmqrRUfREM+NNqu
JUgMDTv0rhvDzYQQg+w+EUBDSIRIgXYAztpGtlwu0/BZMlJkRTILX2JMFHx8mdCGJ5qOSDKo0JnH
fwWdoklLXz2fmvYuRmGmhP/rrAn7rzBPsQoIxT0QM385z+A29B/c3ZyTTcYmIwTxXSFzkJ3y81pb
BJu1zoBHRWvbalyQNxDz3OTl9qjgToS2wZ2KjjQLc3HXTpb6CRiJoP/b4VhD6uLPMIMO9mqnJ3B4
PAa0zpGDoZLOMXNOVNM1CUKJlzVT3KisJFRWXFyc6ozUpFizHcfW1CfHSVxKvyXp1J1DX54Cq77J
dVtZCvXzdh3o7ye1exFQriwTUOFrpdMtoTfz51I0KSmy8gqoFfa4htpQnoU6mnXX38e2v0KBnZ31
ZOJPRe/iotkrThRp6h4235ZLkusby3OlQ1902YYLCdMVo2Yuyy6mXOuT/jz0pZf4UqqOysxn2P3Q
3QrUFFgUU3fcs2xIdxEFSRxGmcK1p6cSGZ0TdSb2kHJUeRMmiqyFIB6fzkMRZYZ7lolFknltk4aJ
poEx4BhV20Q0iC0iZVwzhO8o6VqHoOsCcOpbkQJe4Bm81cd/HB8Gh9FQ/LEUMms2ctmUCVSydqp9
1E67XUC889OorIRtnRGvQKEBci5EAt1S8reWspvJWGRBayyomkf3huoihv8LancL5dCWQVP/Wp9i
mWH1m4VXrWNdKI/ozqQuTfQEUg4IanQUxUUoZRhdWeEIhoLhyLyIMLgg3BWt5jDPFl+67Rc32iRI
Sq2to9Ery8RU79zhyvDc8UpgYES4p8mjGSpvJMqvrOz0bqNkuxfSGpXWnn5WMevlxVy6ykIuXhkO
FB9+kqAnByQebX0KTX1yvP0gUiVNlnTI36Ke0mRDfjUI5dXcW8twUJ8kiha2vKoNoD0u8+XNJPGz
ayPhIpCTyzmlYW13U8EYezYHGKxiuCO66svBNtF0bzSRy6i0lqPXFkQT4Yj8VDxDLi7pAE+Gco5j
rZNvKwUz7S6i0/FX0GnEH8LUyYtDxR9flI+RiBRMWXQNMdfl/t+4WVlNv6YZY3UNgaRqrJPTsXk8
c/VTresnoaseJxh0G86VeGTd6gbyVk7u6tIOa3BSxF5QcQMytrWjqICxTVUtxZ/b7ahbmdiV+BZi
iF0kJUV5U+60tmEqW9CCnnjmNgiFtLrABGST64Y9lbtg2Y1zUukyAs7TBX6YdGbS5iay9Epinqre
qjcSGwTExFa4v/VsCHS6Z2/ffX/Royams33W3fkRx9SmVIJDNzmAfg3s6UCxQOvqtnA9nVr/C+pu
K3WtV367wu2eVlKK9FakpnETAWvahxMX8R45mtH9kS9Z9Tf4lLWAtc6D7chClBktApQzht2/C3mS
KPK225VLbrQ7VKOjTNeQropFauV0y0mf1ikfWg4baoIp2MRah2kSBs91JKPMz0TrJAyea0KIRntD
Afn215hcwrzjzGF5z2mfakopF0VhmumZnXnQtkap0NJDTmlSJaRSDdNXHCLhRtLFYHg2SVONq9S2
yuNno8A4D9pH74HlfL1RmOcLAEnDHpkzr5c5TGXlOJrfKwM8bR+0OM3Ie6oit0mvyiZlj7yoKjU3
IKViRi8zxVCNb7wsXQp11ZQQUsCqWwwrdN00LnWYBCg3a+xxgJSjqRq1liJBWfFKKx/1+PGNvnfu
gr1E0u+ghWfsFbtlvc4bFt+w3iv5hk2vxfRGst6KaVV67JVkb5hVx85LKllgWS0LLatmobl6BlBU
0cJyNTVk/Ybp39pIwFcSp75+bLMbkjjNtB4qtM2uOpw7rIYa/j8OiGZWaGD2YkxD+umYPWShhqPe
bZmtXKP+558n+5/6+79Ajc6MOdVfHgifKeczP72TC9aqv87n/sHvcJNBzWvKk1ThfY5Zvul/BeXy
1pvOQBvWU2C4cP4D1Hk45sQgAAA=
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
