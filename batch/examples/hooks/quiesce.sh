#!/bin/sh
# Example hook: stop the application before the copy.
exit 0
