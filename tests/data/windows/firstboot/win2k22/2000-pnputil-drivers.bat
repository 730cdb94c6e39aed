@echo off
rem v2kvm: install the virtio drivers staged in %SystemRoot%\Drivers\VirtIO
rem (PnP binds them to the new devices; the boot disk's driver was
rem registered offline).  A pending reboot first: retry next boot.
reg query "HKLM\SOFTWARE\Microsoft\Windows\CurrentVersion\WindowsUpdate\Auto Update\RebootRequired" >nul 2>&1
if not errorlevel 1 goto pending
reg query "HKLM\SOFTWARE\Microsoft\Windows\CurrentVersion\Component Based Servicing\RebootPending" >nul 2>&1
if not errorlevel 1 goto pending
reg query "HKLM\SYSTEM\CurrentControlSet\Control\Session Manager" /v PendingFileRenameOperations >nul 2>&1
if not errorlevel 1 goto pending
set rc=0
if not exist "%SystemRoot%\Drivers\VirtIO\*.inf" (echo no .inf in %SystemRoot%\Drivers\VirtIO: nothing to install& exit /b 0)
pushd "%SystemRoot%\Drivers\VirtIO"
for %%f in (*.inf) do call :install "%%~ff"
popd
exit /b %rc%
:pending
echo a reboot is pending (Windows Update or a file rename): retrying at the next boot
exit /b 249
:install
echo pnputil -i -a %~nx1
"%SystemRoot%\System32\pnputil.exe" -i -a "%~1"
set e=%errorlevel%
if "%e%"=="0" goto :eof
if "%e%"=="259" goto :eof
if "%e%"=="3010" goto reboot
echo pnputil failed on %~nx1: exit code %e%
set rc=1
goto :eof
:reboot
if "%rc%"=="0" set rc=3010
goto :eof
