#!/bin/sh
# Example hook: check the converted VM answers.
exit 0
