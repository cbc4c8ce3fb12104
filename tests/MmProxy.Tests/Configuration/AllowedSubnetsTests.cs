using System.Net;
using MmProxy.Configuration;

namespace MmProxy.Tests.Configuration;

public sealed class AllowedSubnetsTests
{
    private static AllowedSubnets Load(string text, out IReadOnlyList<string> warnings)
    {
        AllowedSubnetsLoadResult result = AllowedSubnetsLoader.Parse(text, "subnets.txt");
        Assert.True(result.Succeeded, result.Error);
        warnings = result.Warnings;
        return result.Subnets!;
    }

    [Fact]
    public void Comments_and_blank_lines_are_ignored()
    {
        AllowedSubnets subnets = Load("# load balancers\n\n  10.0.0.0/8   # inner\n\r\n192.0.2.0/24\n   \n", out var warnings);
        Assert.Equal(2, subnets.Networks.Count);
        Assert.Empty(warnings);
        Assert.True(subnets.Contains(IPAddress.Parse("10.1.2.3")));
        Assert.True(subnets.Contains(IPAddress.Parse("192.0.2.200")));
        Assert.False(subnets.Contains(IPAddress.Parse("192.0.3.1")));
        Assert.False(subnets.AllowsAll);
    }

    [Fact]
    public void Host_bits_are_masked_with_a_warning_naming_file_and_line()
    {
        AllowedSubnets subnets = Load("# x\n10.1.2.3/8\n", out var warnings);
        Assert.Equal(IPNetwork.Parse("10.0.0.0/8"), subnets.Networks[0]);
        Assert.True(subnets.Contains(IPAddress.Parse("10.200.0.1")));
        string warning = Assert.Single(warnings);
        Assert.Contains("subnets.txt:2", warning, StringComparison.Ordinal);
        Assert.Contains("10.0.0.0/8", warning, StringComparison.Ordinal);
    }

    [Fact]
    public void Ipv6_subnets_match_ipv6_peers()
    {
        AllowedSubnets subnets = Load("2001:db8:1::/48\n2001:db8:2::1/64\n", out var warnings);
        Assert.True(subnets.Contains(IPAddress.Parse("2001:db8:1::5")));
        Assert.True(subnets.Contains(IPAddress.Parse("2001:db8:2::ffff")));
        Assert.False(subnets.Contains(IPAddress.Parse("2001:db8:3::1")));
        Assert.False(subnets.Contains(IPAddress.Parse("2001:db9::1")));
        Assert.False(subnets.Contains(IPAddress.Parse("10.0.0.1")));
        Assert.Single(warnings);
    }

    [Fact]
    public void Ipv4_mapped_ipv6_peers_match_ipv4_subnets()
    {
        AllowedSubnets subnets = Load("198.51.100.0/24\n", out _);
        Assert.True(subnets.Contains(IPAddress.Parse("::ffff:198.51.100.1")));
        Assert.False(subnets.Contains(IPAddress.Parse("::ffff:203.0.113.1")));
    }

    [Fact]
    public void A_bare_address_is_a_single_host()
    {
        AllowedSubnets subnets = Load("192.0.2.7\n::1\n", out _);
        Assert.True(subnets.Contains(IPAddress.Parse("192.0.2.7")));
        Assert.False(subnets.Contains(IPAddress.Parse("192.0.2.8")));
        Assert.True(subnets.Contains(IPAddress.IPv6Loopback));
    }

    [Fact]
    public void Zero_prefix_matches_everything_of_that_family()
    {
        AllowedSubnets subnets = Load("0.0.0.0/0\n", out _);
        Assert.True(subnets.Contains(IPAddress.Parse("203.0.113.9")));
        Assert.False(subnets.Contains(IPAddress.Parse("2001:db8::1")));
    }

    [Theory]
    [InlineData("10.0.0.0/8\nnot-an-address\n", "subnets.txt:2")]
    [InlineData("10.0.0.0/33\n", "subnets.txt:1")]
    [InlineData("# c\n\n2001:db8::/129\n", "subnets.txt:3")]
    [InlineData("10.0.0.0/\n", "subnets.txt:1")]
    [InlineData("10.0.0.0/8/8\n", "subnets.txt:1")]
    [InlineData("10.1/16\n", "subnets.txt:1")]
    [InlineData("010.0.0.0/8\n", "subnets.txt:1")]
    [InlineData("10.0.0.0 /8\n", "subnets.txt:1")]
    [InlineData("fe80::1%eth0/64\n", "subnets.txt:1")]
    public void A_bad_line_is_an_error_naming_file_and_line(string text, string location)
    {
        AllowedSubnetsLoadResult result = AllowedSubnetsLoader.Parse(text, "subnets.txt");
        Assert.False(result.Succeeded);
        Assert.StartsWith(location + ":", result.Error, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("")]
    [InlineData("# only a comment\n\n   \n")]
    public void A_file_without_entries_refuses_to_start(string text)
    {
        AllowedSubnetsLoadResult result = AllowedSubnetsLoader.Parse(text, "subnets.txt");
        Assert.False(result.Succeeded);
        Assert.Contains("subnets.txt", result.Error, StringComparison.Ordinal);
        Assert.Contains("refusing", result.Error, StringComparison.Ordinal);
    }

    [Fact]
    public void A_missing_file_is_an_error_naming_it()
    {
        string path = Path.Combine(Path.GetTempPath(), "mmproxy-no-such-" + Guid.NewGuid().ToString("N"));
        AllowedSubnetsLoadResult result = AllowedSubnetsLoader.LoadFile(path);
        Assert.False(result.Succeeded);
        Assert.Contains(path, result.Error, StringComparison.Ordinal);
    }

    [Fact]
    public void Loads_a_real_file()
    {
        string path = Path.GetTempFileName();
        try
        {
            File.WriteAllText(path, "127.0.0.0/8\n");
            AllowedSubnetsLoadResult result = AllowedSubnetsLoader.LoadFile(path);
            Assert.True(result.Succeeded, result.Error);
            Assert.True(result.Subnets!.Contains(IPAddress.Loopback));
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public void Allow_all_allows_every_address()
    {
        Assert.True(AllowedSubnets.AllowAll.AllowsAll);
        Assert.True(AllowedSubnets.AllowAll.Contains(IPAddress.Parse("203.0.113.1")));
        Assert.True(AllowedSubnets.AllowAll.Contains(IPAddress.Parse("2001:db8::1")));
    }

    [Fact]
    public void Provider_swaps_the_snapshot_atomically()
    {
        var provider = new AllowedSubnetsProvider(AllowedSubnets.AllowAll);
        AllowedSubnets next = AllowedSubnets.Create([IPNetwork.Parse("10.0.0.0/8")]);
        Assert.Same(AllowedSubnets.AllowAll, provider.Replace(next));
        Assert.Same(next, provider.Current);
    }
}
