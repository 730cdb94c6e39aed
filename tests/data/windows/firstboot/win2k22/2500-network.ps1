# v2kvm: re-apply the source's static IP settings, read from its
# registry (IPv4: Tcpip\Parameters\Interfaces; IPv6: the NSI
# store), to the adapter with the same MAC (or the only adapter).
# WMI and netsh: PowerShell 2.0 and later.
$ErrorActionPreference = 'Stop'
function Find-V2kAdapter($mac) {
    $deadline = (Get-Date).AddMinutes(5)
    do {
        $cfgs = @(Get-WmiObject Win32_NetworkAdapterConfiguration | Where-Object { $_.MACAddress -and ($mac -eq '' -or $_.MACAddress -eq $mac) })
        if ($cfgs.Count -eq 1) { return $cfgs[0] }
        Start-Sleep -Seconds 5
    } while ((Get-Date) -lt $deadline)
    Write-Output "no single adapter with MAC '$mac' yet ($($cfgs.Count) found): retrying at the next boot"
    exit 249
}
function Set-V2kStatic($mac, $addrs, $masks, $gws, $dns) {
    $c = Find-V2kAdapter $mac
    Write-Output "$($c.Description) ($($c.MACAddress)): $addrs"
    $r = $c.EnableStatic($addrs, $masks)
    if ($r.ReturnValue -gt 1) { Write-Output "EnableStatic failed: $($r.ReturnValue)"; exit 1 }
    if ($gws.Count -gt 0) {
        $r = $c.SetGateways($gws, @(1) * $gws.Count)
        if ($r.ReturnValue -gt 1) { Write-Output "SetGateways failed: $($r.ReturnValue)"; exit 1 }
    }
    if ($dns.Count -gt 0) {
        $r = $c.SetDNSServerSearchOrder($dns)
        if ($r.ReturnValue -gt 1) { Write-Output "SetDNSServerSearchOrder failed: $($r.ReturnValue)"; exit 1 }
    }
}
function Set-V2kStatic6($mac, $addrs, $dns) {
    $c = Find-V2kAdapter $mac
    $if = $c.InterfaceIndex
    foreach ($a in $addrs) {
        Write-Output "$($c.Description) ($($c.MACAddress)): IPv6 $a"
        netsh.exe interface ipv6 delete address interface=$if address=$($a.Split('/')[0]) | Out-Null
        netsh.exe interface ipv6 add address interface=$if address=$a store=persistent
        if ($LASTEXITCODE -ne 0) { Write-Output "netsh add address failed: $LASTEXITCODE"; exit 1 }
    }
    if ($dns.Count -gt 0) { netsh.exe interface ipv6 delete dnsservers interface=$if address=all | Out-Null }
    $i = 1
    foreach ($d in $dns) {
        netsh.exe interface ipv6 add dnsservers interface=$if address=$d index=$i
        if ($LASTEXITCODE -ne 0) { Write-Output "netsh add dnsservers failed: $LASTEXITCODE"; exit 1 }
        $i++
    }
}
# vmxnet3 Ethernet Adapter ({8E6A1B2C-3D4E-4F50-9A1B-2C3D4E5F6071})
Set-V2kStatic '00:50:56:AA:BB:01' @('10.20.30.40','10.20.31.40') @('255.255.255.0','255.255.254.0') @('10.20.30.1') @('10.20.30.2','10.20.30.3')
Set-V2kStatic6 '00:50:56:AA:BB:01' @('2001:db8:20:30::40/64') @('2001:db8:20:30::2')
# third ({00000000-0000-0000-0000-000000000003})
Set-V2kStatic6 '00:50:56:AA:BB:02' @('fd00::3/48') @()
