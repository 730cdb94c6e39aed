@echo off
rem v2kvm: remove VMware Tools (vmware-tools)
echo msiexec.exe /x {C6C1A3F1-8D2B-4E1A-9F6E-3A5B7C9D0E1F} /qn /norestart REBOOT=ReallySuppress
msiexec.exe /x {C6C1A3F1-8D2B-4E1A-9F6E-3A5B7C9D0E1F} /qn /norestart REBOOT=ReallySuppress
set e=%errorlevel%
if "%e%"=="1605" (echo already removed& exit /b 0)
if "%e%"=="1641" exit /b 3010
if not "%e%"=="0" if not "%e%"=="3010" echo the uninstaller failed: exit code %e%
exit /b %e%
