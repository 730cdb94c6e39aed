@echo off
rem v2kvm: install the QEMU guest agent
echo msiexec /i qemu-ga-x86_64.msi
msiexec.exe /i "C:\Program Files\v2kvm\Firstboot\Temp\qemu-ga-x86_64.msi" /qn /norestart /l*v "C:\Program Files\v2kvm\Firstboot\qemu-ga-install.log"
set e=%errorlevel%
if "%e%"=="1641" exit /b 3010
if not "%e%"=="0" if not "%e%"=="3010" echo msiexec failed: exit code %e%, log: qemu-ga-install.log
exit /b %e%
