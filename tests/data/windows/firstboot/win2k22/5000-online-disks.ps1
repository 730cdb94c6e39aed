# v2kvm: bring online the disks Windows took offline when their bus
# changed (its SAN policy keeps new disks offline: RHEL-55837).
if (Get-Command Get-Disk -ErrorAction SilentlyContinue) {
    Get-Disk | Where-Object { $_.IsOffline -or $_.IsReadOnly } | ForEach-Object {
        Write-Output "disk $($_.Number) ($($_.FriendlyName)): online"
        Set-Disk -Number $_.Number -IsOffline $false
        Set-Disk -Number $_.Number -IsReadOnly $false
    }
} else {
    'san policy=OnlineAll' | diskpart.exe
}
