# small_sdl FILE [REGION]: one service `web` (busybox, port 80 published) in one group `dc`
# at 10000uakt per block, placed on a provider with region REGION when one is given. For
# the tests that only post orders: nothing runs it, so the image need not exist.
small_sdl() {
  local file=$1 region=${2:-} attributes=
  [ -z "$region" ] || attributes="      attributes: {region: $region}"$'\n'
  cat >"$file" <<YAML
version: "2.0"
services:
  web:
    image: busybox
    expose:
      - {port: 80, as: 80, to: [{global: true}]}
profiles:
  compute:
    web: {resources: {cpu: {units: 0.1}, memory: {size: 64Mi}, storage: {size: 128Mi}}}
  placement:
    dc:
${attributes}      pricing: {web: {denom: uakt, amount: 10000}}
deployment:
  web: {dc: {profile: web, count: 1}}
YAML
}
