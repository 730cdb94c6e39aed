@echo off
rem v2kvm: install the virtio balloon service
"%SystemRoot%\Drivers\VirtIO\blnsvr.exe" -i
