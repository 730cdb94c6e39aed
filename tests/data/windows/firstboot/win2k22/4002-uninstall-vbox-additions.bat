@echo off
rem v2kvm: remove Oracle VM VirtualBox Guest Additions 7.0.10 (vbox-additions)
echo "C:\Program Files\Oracle\VirtualBox Guest Additions\uninst.exe" /S
"C:\Program Files\Oracle\VirtualBox Guest Additions\uninst.exe" /S
set e=%errorlevel%
if "%e%"=="1605" (echo already removed& exit /b 0)
if "%e%"=="1641" exit /b 3010
if not "%e%"=="0" if not "%e%"=="3010" echo the uninstaller failed: exit code %e%
exit /b %e%
