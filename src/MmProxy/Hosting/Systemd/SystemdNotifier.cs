using System.Diagnostics;
using System.Globalization;
using System.Net.Sockets;
using System.Text;

namespace MmProxy.Hosting.Systemd;

/// <summary>
/// sd_notify(3) without libsystemd: one datagram per state change to the Unix socket named by
/// $NOTIFY_SOCKET (a path, or "@name" for the abstract namespace). Sending never throws and never
/// blocks the proxy: a lost notification is logged by the caller at most.
/// </summary>
internal sealed class SystemdNotifier : IDisposable
{
    private readonly Socket _socket;
    private readonly UnixDomainSocketEndPoint _endPoint;

    private SystemdNotifier(Socket socket, UnixDomainSocketEndPoint endPoint, string address)
    {
        _socket = socket;
        _endPoint = endPoint;
        Address = address;
    }

    /// <summary>$NOTIFY_SOCKET as given.</summary>
    public string Address { get; }

    /// <summary>Null when not started by systemd with Type=notify (no NOTIFY_SOCKET) or the address is unusable.</summary>
    public static SystemdNotifier? FromEnvironment() => Create(Environment.GetEnvironmentVariable("NOTIFY_SOCKET"));

    public static SystemdNotifier? Create(string? address)
    {
        if (string.IsNullOrEmpty(address) || (address[0] != '/' && address[0] != '@') || address.Length < 2)
        {
            return null;
        }

        // "@name": abstract namespace, which .NET spells with a leading NUL.
        string path = address[0] == '@' ? "\0" + address[1..] : address;
        UnixDomainSocketEndPoint endPoint;
        try
        {
            endPoint = new UnixDomainSocketEndPoint(path);
        }
        catch (ArgumentException)
        {
            return null;
        }

        var socket = new Socket(AddressFamily.Unix, SocketType.Dgram, ProtocolType.Unspecified);
        return new SystemdNotifier(socket, endPoint, address);
    }

    /// <summary>Sends "KEY=value\n..." as one datagram; null on success, else why it failed.</summary>
    public string? Send(string state)
    {
        ArgumentNullException.ThrowIfNull(state);
        try
        {
            _socket.SendTo(Encoding.UTF8.GetBytes(state), SocketFlags.None, _endPoint);
            return null;
        }
        catch (SocketException ex)
        {
            return $"sd_notify to {Address} failed: {ex.SocketErrorCode} ({ex.Message})";
        }
        catch (ObjectDisposedException)
        {
            return "notifier closed";
        }
    }

    public string? Ready(string status) => Send($"READY=1\nSTATUS={OneLine(status)}\nMAINPID={Environment.ProcessId.ToString(CultureInfo.InvariantCulture)}");

    /// <param name="status">Shown by systemctl status.</param>
    /// <param name="extendTimeout">How long stopping may take from now (EXTEND_TIMEOUT_USEC), so a drain longer than TimeoutStopSec= is not killed; null = no extension.</param>
    public string? Stopping(string status, TimeSpan? extendTimeout = null) => Send(extendTimeout is { } extend
        ? $"STOPPING=1\nSTATUS={OneLine(status)}\nEXTEND_TIMEOUT_USEC={((long)extend.TotalMicroseconds).ToString(CultureInfo.InvariantCulture)}"
        : $"STOPPING=1\nSTATUS={OneLine(status)}");

    /// <summary>Before re-reading configuration (SIGHUP); follow with <see cref="Ready"/>. MONOTONIC_USEC is required by Type=notify-reload.</summary>
    public string? Reloading() => Send($"RELOADING=1\nMONOTONIC_USEC={MonotonicMicroseconds().ToString(CultureInfo.InvariantCulture)}");

    public string? Watchdog() => Send("WATCHDOG=1");

    public string? Status(string status) => Send("STATUS=" + OneLine(status));

    /// <summary>CLOCK_MONOTONIC in microseconds (Stopwatch is CLOCK_MONOTONIC on Linux).</summary>
    internal static long MonotonicMicroseconds() =>
        (long)(Stopwatch.GetTimestamp() * (1_000_000.0 / Stopwatch.Frequency));

    private static string OneLine(string text) => text.Replace('\n', ' ');

    public void Dispose() => _socket.Dispose();
}
