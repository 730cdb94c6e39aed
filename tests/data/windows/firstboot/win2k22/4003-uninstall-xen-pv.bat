@echo off
rem v2kvm: remove Red Hat Paravirtualized Xen Drivers for Windows(R) (xen-pv)
echo "C:\Program Files\Red Hat\Xen PV Drivers\_uninst.exe"
"C:\Program Files\Red Hat\Xen PV Drivers\_uninst.exe"
set e=%errorlevel%
if "%e%"=="1605" (echo already removed& exit /b 0)
if "%e%"=="1641" exit /b 3010
if not "%e%"=="0" if not "%e%"=="3010" echo the uninstaller failed: exit code %e%
exit /b %e%
