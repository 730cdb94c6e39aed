# v2kvm: re-apply the source's static IPv4 settings, read from its
# registry (Tcpip\Parameters\Interfaces), to the adapter with the
# same MAC (or the only adapter).  WMI: PowerShell 2.0 and later.
$ErrorActionPreference = 'Stop'
function Set-V2kStatic($mac, $addrs, $masks, $gws, $dns) {
    $deadline = (Get-Date).AddMinutes(5)
    do {
        $cfgs = @(Get-WmiObject Win32_NetworkAdapterConfiguration | Where-Object { $_.MACAddress -and ($mac -eq '' -or $_.MACAddress -eq $mac) })
        if ($cfgs.Count -eq 1) { break }
        Start-Sleep -Seconds 5
    } while ((Get-Date) -lt $deadline)
    if ($cfgs.Count -ne 1) { Write-Output "no single adapter with MAC '$mac' yet ($($cfgs.Count) found): retrying at the next boot"; exit 249 }
    $c = $cfgs[0]
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
# vmxnet3 Ethernet Adapter ({8E6A1B2C-3D4E-4F50-9A1B-2C3D4E5F6071})
Set-V2kStatic '00:50:56:AA:BB:01' @('10.20.30.40','10.20.31.40') @('255.255.255.0','255.255.254.0') @('10.20.30.1') @('10.20.30.2','10.20.30.3')
