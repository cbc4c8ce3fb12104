using System.Net;
using MmProxy.Diagnostics;
using MmProxy.ProxyProtocol;

namespace MmProxy.Tests.Diagnostics;

public sealed class LoggedAddressTests
{
    [Fact]
    public void Ip_addresses_are_formatted_from_parsed_values()
    {
        Assert.Equal("192.0.2.1:80", new LoggedAddress(ProxyAddress.FromIPEndPoint(IPEndPoint.Parse("192.0.2.1:80"))).ToString());
        Assert.Equal("[2001:db8::1]:80", new LoggedAddress(ProxyAddress.FromIPEndPoint(IPEndPoint.Parse("[2001:db8::1]:80"))).ToString());
        Assert.Equal("-", new LoggedAddress(ProxyAddress.None).ToString());
    }

    [Fact]
    public void Unix_paths_cannot_forge_log_lines()
    {
        string logged = new LoggedAddress(ProxyAddress.FromUnixPath("/run/x\n2026-01-01 crit: forged\x1b[31m\"")).ToString();
        Assert.DoesNotContain('\n', logged);
        Assert.DoesNotContain('\x1b', logged);
        Assert.DoesNotContain('"', logged);
        Assert.StartsWith(@"unix:/run/x\x0a2026-01-01 crit: forged\x1b[31m\x22", logged, StringComparison.Ordinal);
    }

    [Fact]
    public void Long_paths_are_capped()
    {
        string logged = new LoggedAddress(ProxyAddress.FromUnixPath(new string('a', 1000))).ToString();
        Assert.True(logged.Length < 130, logged.Length.ToString(System.Globalization.CultureInfo.InvariantCulture));
        Assert.EndsWith("...", logged, StringComparison.Ordinal);
    }
}
