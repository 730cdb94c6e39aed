@echo off
rem v2kvm: remove Parallels Tools (parallels-tools)
reg delete "HKLM\SYSTEM\CurrentControlSet\Services\prl_strg\DriverInfo" /v RefCount /f >nul 2>&1
echo msiexec.exe /x {A1B2C3D4-0000-4000-8000-00000000FA11} /qn /norestart REBOOT=ReallySuppress PREVENT_REBOOT=Yes
msiexec.exe /x {A1B2C3D4-0000-4000-8000-00000000FA11} /qn /norestart REBOOT=ReallySuppress PREVENT_REBOOT=Yes
set e=%errorlevel%
if "%e%"=="1605" (echo already removed& exit /b 0)
if "%e%"=="1641" exit /b 3010
if not "%e%"=="0" if not "%e%"=="3010" echo the uninstaller failed: exit code %e%
exit /b %e%
