#!/bin/sh
cat >/dev/null
echo "GPU orders below 900 uakt are not worth it" >&2
exit 1
