using System.Diagnostics;
using System.Text;
using System.Text.Json;

namespace MmProxy.Tests.Inspect;

/// <summary><c>mmproxy inspect</c> run as a process: JSON on stdout, reasons on stderr, exit codes 0/1/2/3.</summary>
public sealed class InspectProcessTests
{
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(30);

    private sealed record Outcome(int ExitCode, string Stdout, string Stderr)
    {
        public JsonElement Json()
        {
            using var document = JsonDocument.Parse(Stdout);
            return document.RootElement.Clone();
        }

        public override string ToString() => $"exit {ExitCode}\nstdout: {Stdout}\nstderr: {Stderr}";
    }

    private static async Task<Outcome> RunAsync(byte[]? stdin, params string[] args)
    {
        var start = new ProcessStartInfo(MmProxyExecutable.Path)
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        start.ArgumentList.Add("inspect");
        foreach (string arg in args)
        {
            start.ArgumentList.Add(arg);
        }

        using var process = Process.Start(start) ?? throw new InvalidOperationException("mmproxy did not start");
        using var timeout = new CancellationTokenSource(Deadline);
        Task<string> stdout = process.StandardOutput.ReadToEndAsync(timeout.Token);
        Task<string> stderr = process.StandardError.ReadToEndAsync(timeout.Token);
        if (stdin is not null)
        {
            await process.StandardInput.BaseStream.WriteAsync(stdin, timeout.Token);
        }

        process.StandardInput.Close();
        try
        {
            await process.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            Assert.Fail($"mmproxy inspect did not exit within {Deadline}");
        }

        return new Outcome(process.ExitCode, await stdout, await stderr);
    }

    [Fact]
    public async Task Stdin_v1_with_payload_exits_0()
    {
        Outcome o = await RunAsync(InspectSamples.V1Tcp4WithPayload);
        Assert.True(o.ExitCode == 0, o.ToString());
        JsonElement json = o.Json();
        Assert.Equal(InspectSamples.HeaderKeys, json.EnumerateObject().Select(p => p.Name));
        Assert.Equal("PROXY v1", json.GetProperty("format").GetString());
        Assert.Equal(1, json.GetProperty("version").GetInt32());
        Assert.Equal("PROXY", json.GetProperty("command").GetString());
        Assert.Equal("TCP4", json.GetProperty("family").GetString());
        Assert.Equal("192.168.0.1:56324", json.GetProperty("source").GetString());
        Assert.Equal("192.168.0.11:443", json.GetProperty("destination").GetString());
        Assert.Equal(47, json.GetProperty("headerLength").GetInt32());
        Assert.Equal(16, json.GetProperty("payloadLength").GetInt32());
        Assert.Equal(JsonValueKind.Array, json.GetProperty("tlvs").ValueKind);
        Assert.Equal("absent", json.GetProperty("crc32c").GetString());
    }

    [Fact]
    public async Task Hex_v2_with_ssl_and_aws_tlvs_exits_0()
    {
        string hex = string.Join(' ', InspectSamples.Hex(InspectSamples.V2SslAws).Chunk(8).Select(c => new string(c)));
        Outcome o = await RunAsync(null, "--hex", hex);
        Assert.True(o.ExitCode == 0, o.ToString());
        JsonElement json = o.Json();
        Assert.Equal(2, json.GetProperty("version").GetInt32());
        Assert.Equal("TCP6", json.GetProperty("family").GetString());
        Assert.Equal("[2001:db8::1]:40000", json.GetProperty("source").GetString());
        Assert.Equal("valid", json.GetProperty("crc32c").GetString());
        JsonElement ssl = json.GetProperty("tlvs").EnumerateArray().Single(t => t.GetProperty("name").GetString() == "SSL");
        Assert.Equal("TLSv1.3", ssl.GetProperty("subTlvs")[0].GetProperty("value").GetString());
        JsonElement aws = json.GetProperty("tlvs").EnumerateArray().Single(t => t.GetProperty("type").GetInt32() == 0xEA);
        Assert.Equal("vpce-08d2bf15fac5001c9", aws.GetProperty("vpcEndpointId").GetString());
    }

    [Fact]
    public async Task Hex_spp_exits_0_and_names_the_format()
    {
        Outcome o = await RunAsync(null, "--hex", InspectSamples.Hex(InspectSamples.SppIPv4WithPayload));
        Assert.True(o.ExitCode == 0, o.ToString());
        JsonElement json = o.Json();
        Assert.Equal(InspectSamples.SppKeys, json.EnumerateObject().Select(p => p.Name));
        Assert.Equal("SPP", json.GetProperty("format").GetString());
        Assert.Equal("192.0.2.10:40000", json.GetProperty("client").GetString());
        Assert.Equal(4, json.GetProperty("payloadLength").GetInt32());
    }

    [Fact]
    public async Task File_v2_local_exits_0()
    {
        string path = Path.Combine(Path.GetTempPath(), $"mmproxy-inspect-{Guid.NewGuid():N}.bin");
        try
        {
            await File.WriteAllBytesAsync(path, InspectSamples.V2Local);
            Outcome o = await RunAsync(null, "--file", path);
            Assert.True(o.ExitCode == 0, o.ToString());
            Assert.Equal("LOCAL", o.Json().GetProperty("command").GetString());
            Assert.Equal(JsonValueKind.Null, o.Json().GetProperty("source").ValueKind);
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public async Task Invalid_header_exits_1_with_reason_on_stderr_and_json_error()
    {
        Outcome o = await RunAsync(Encoding.ASCII.GetBytes("PROXY TCP4 192.168.0.1 192.168.0.11 65536 443\r\n"));
        Assert.True(o.ExitCode == 1, o.ToString());
        Assert.Equal("v1: port out of range", o.Json().GetProperty("error").GetString());
        Assert.Contains("port out of range", o.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Usage_errors_exit_2()
    {
        Outcome badHex = await RunAsync(null, "--hex", "zz");
        Assert.True(badHex.ExitCode == 2, badHex.ToString());
        Outcome both = await RunAsync(null, "--hex", "00", "--file", "/nonexistent");
        Assert.True(both.ExitCode == 2, both.ToString());
        Outcome unknownOption = await RunAsync(null, "--no-such-option");
        Assert.True(unknownOption.ExitCode == 2, unknownOption.ToString());
    }

    [Fact]
    public async Task Incomplete_header_exits_3()
    {
        Outcome o = await RunAsync(Encoding.ASCII.GetBytes("PROXY TCP4 192.168.0.1"));
        Assert.True(o.ExitCode == 3, o.ToString());
        Assert.Contains("more bytes", o.Json().GetProperty("error").GetString(), StringComparison.Ordinal);
    }
}
