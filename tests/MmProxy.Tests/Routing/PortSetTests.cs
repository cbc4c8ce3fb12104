using MmProxy.Cli;
using MmProxy.Routing;

namespace MmProxy.Tests.Routing;

public sealed class PortSetTests
{
    private const string Expected = "expected a port (443), a range (10000-10999) or a comma list of those (80,443,10000-10999)";

    private static PortSet Parse(string text)
    {
        Assert.True(PortSet.TryParse(text, out PortSet set, out string error), error);
        return set;
    }

    [Theory]
    [InlineData("443", "443", "443")]
    [InlineData("10000-10999", "10000-10999", "10000-10999")]
    [InlineData("80,443,10000-10999", "80,443,10000-10999", "{ 80, 443, 10000-10999 }")]
    [InlineData(" 443 , 80 ", "80,443", "{ 80, 443 }")]
    [InlineData("80-80", "80", "80")]
    [InlineData("1-65535", "1-65535", "1-65535")]
    [InlineData("8000 - 8002", "8000-8002", "8000-8002")]
    public void Valid_ports_keep_their_canonical_form(string text, string canonical, string nft)
    {
        PortSet set = Parse(text);
        Assert.Equal(canonical, set.ToString());
        Assert.Equal(nft, set.NftExpression);
    }

    [Theory]
    [InlineData("80,81,82", "80-82")]
    [InlineData("1-10,5-20,30", "1-20,30")]
    [InlineData("443,443", "443")]
    [InlineData("100-200,201,50", "50,100-201")]
    public void Overlapping_and_adjacent_ranges_are_merged_as_nft_stores_them(string text, string merged)
    {
        Assert.Equal(merged, Parse(text).ToString());
    }

    [Theory]
    [InlineData("0", "'0' is not a port: ports are 1 to 65535")]
    [InlineData("70000", "'70000' is not a port: ports are 1 to 65535")]
    [InlineData("99999999999", "'99999999999' is not a port: ports are 1 to 65535")]
    [InlineData("80,0-10", "'0' is not a port: ports are 1 to 65535")]
    [InlineData("10-5", "the range '10-5' ends before it starts (write 5-10)")]
    [InlineData("a", "'a' is not a port or a range: " + Expected)]
    [InlineData("80,http", "'http' is not a port or a range: " + Expected)]
    [InlineData("+80", "'+80' is not a port or a range: " + Expected)]
    [InlineData("-5", "'-5' is not a port or a range: " + Expected)]
    [InlineData("5-", "'5-' is not a port or a range: " + Expected)]
    [InlineData("1-2-3", "'1-2-3' is not a port or a range: " + Expected)]
    [InlineData("", "no ports: " + Expected)]
    [InlineData("  ", "no ports: " + Expected)]
    [InlineData("80,,443", "an empty entry in '80,,443': " + Expected)]
    [InlineData("80,", "an empty entry in '80,': " + Expected)]
    public void Invalid_ports_say_what_is_wrong(string text, string message)
    {
        Assert.False(PortSet.TryParse(text, out _, out string error));
        Assert.Equal(message, error);
    }

    [Theory]
    [InlineData(new[] { "--tproxy", "0", "--to", "9000" }, "--tproxy: invalid value '0': '0' is not a port: ports are 1 to 65535")]
    [InlineData(new[] { "--tproxy", "10-5", "--to", "9000" }, "--tproxy: invalid value '10-5': the range '10-5' ends before it starts (write 5-10)")]
    [InlineData(new[] { "--tproxy", "", "--to", "9000" }, "--tproxy: invalid value '': no ports: " + Expected)]
    [InlineData(new[] { "--tproxy", "80" }, "--tproxy needs --to PORT: the port the transparent mmproxy listener listens on")]
    [InlineData(new[] { "--to", "9000" }, "--to goes with --tproxy PORTS: the ports whose traffic goes to that listener")]
    [InlineData(new[] { "--tproxy", "80", "--to", "70000" }, "--to: invalid value '70000': expected an integer from 1 to 65535")]
    [InlineData(new[] { "--tproxy", "80", "--to", "9000", "--tproxy-mark", "0" }, "--tproxy-mark: invalid value '0': expected an integer from 1 to 4294967295")]
    [InlineData(new[] { "--tproxy-mark", "2" }, "--tproxy-mark goes with --tproxy PORTS --to PORT")]
    [InlineData(new[] { "-p", "udp" }, "-p chooses what --tproxy diverts: add --tproxy PORTS --to PORT")]
    [InlineData(new[] { "--tproxy", "80", "--to", "9000", "-p", "sctp" }, "-p: invalid value 'sctp': expected tcp or udp or both")]
    public async Task Routing_usage_errors_name_the_option_and_exit_2(string[] options, string message)
    {
        foreach (string verb in new[] { "apply", "remove", "print" })
        {
            using var output = new StringWriter();
            using var error = new StringWriter();
            int exit = await CommandLineApp.RunAsync(["routing", verb, .. options], output, error);
            Assert.Equal(2, exit);
            Assert.Contains(message, error.ToString(), StringComparison.Ordinal);
            Assert.Empty(output.ToString());
        }
    }

    [Fact]
    public async Task Check_takes_tproxy_and_to_too()
    {
        using var output = new StringWriter();
        using var error = new StringWriter();
        int exit = await CommandLineApp.RunAsync(["check", "--tproxy", "80", "--connect-timeout", "1s"], output, error);
        Assert.Equal(2, exit);
        Assert.Contains("--tproxy needs --to PORT", error.ToString(), StringComparison.Ordinal);
    }
}
