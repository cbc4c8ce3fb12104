using System.Net;
using MmProxy.Configuration;

namespace MmProxy.Tests.Configuration;

/// <summary>--allowed-destinations: CIDR, CIDR PORT, CIDR FIRST-LAST; as strict as the allowed subnets, errors naming file:line.</summary>
public sealed class AllowedDestinationsTests
{
    private static AllowedDestinationsLoadResult Parse(string text) => AllowedDestinationsLoader.Parse(text.Split('\n'), "/etc/mmproxy/dst.txt", inline: false);

    [Fact]
    public void Subnets_with_ports_and_ranges_allow_exactly_what_they_name()
    {
        AllowedDestinationsLoadResult loaded = Parse("""
            # services on this host
            127.0.0.1/32 8000-8002
            127.0.0.0/8 9000   # one port
            2001:db8::/32
            """);
        Assert.True(loaded.Succeeded, loaded.Error);
        AllowedDestinations d = loaded.Destinations!;
        Assert.True(d.Contains(IPAddress.Loopback, 8000));
        Assert.True(d.Contains(IPAddress.Loopback, 8002));
        Assert.False(d.Contains(IPAddress.Loopback, 8003));
        Assert.True(d.Contains(IPAddress.Parse("127.0.0.9"), 9000));
        Assert.False(d.Contains(IPAddress.Parse("127.0.0.9"), 8000));
        Assert.True(d.Contains(IPAddress.Parse("2001:db8::7"), 1));
        Assert.False(d.Contains(IPAddress.Parse("192.0.2.1"), 8000));
        Assert.True(d.Contains(IPAddress.Parse("::ffff:127.0.0.1"), 8001)); // v4-mapped counts as IPv4
    }

    [Theory]
    [InlineData("127.0.0.1/33", "/etc/mmproxy/dst.txt:2:")]
    [InlineData("127.0.0.1/32 0", "/etc/mmproxy/dst.txt:2: '0' is not a port")]
    [InlineData("127.0.0.1/32 70000", "'70000' is not a port")]
    [InlineData("127.0.0.1/32 9-5", "ends before it starts")]
    [InlineData("127.0.0.1/32 http", "'http' is not a port")]
    [InlineData("127.0.0.1/32 08", "'08' is not a port")]
    public void A_bad_line_fails_the_whole_list_naming_file_and_line(string line, string expected)
    {
        AllowedDestinationsLoadResult loaded = Parse("10.0.0.0/8\n" + line);
        Assert.False(loaded.Succeeded);
        Assert.Contains(expected, loaded.Error, StringComparison.Ordinal);
    }

    [Fact]
    public void An_empty_list_fails_closed()
    {
        AllowedDestinationsLoadResult loaded = Parse("# nothing\n\n");
        Assert.False(loaded.Succeeded);
        Assert.Contains("empty", loaded.Error, StringComparison.Ordinal);
    }

    [Fact]
    public void Lists_compare_by_their_entries()
    {
        Assert.Equal(Parse("127.0.0.1/32 80").Destinations, Parse("127.0.0.1/32   80  # same").Destinations);
        Assert.NotEqual(Parse("127.0.0.1/32 80").Destinations, Parse("127.0.0.1/32 81").Destinations);
    }
}
