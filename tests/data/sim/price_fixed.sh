#!/bin/sh
# Reads the order on stdin and quotes a fixed price when it asks for at least one CPU.
input=$(cat)
case "$input" in
  *'"resources":[{'*) echo "  42.5" ;;
  *) echo "no resources" >&2; exit 2 ;;
esac
