#!/bin/sh
sleep 5
echo 1
