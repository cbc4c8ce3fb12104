using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Runtime.InteropServices;
using MmProxy.Interop;

namespace MmProxy.Tests.Interop;

public sealed class EpollTests
{
    [Fact]
    public void Reports_a_readable_socket_with_its_data()
    {
        using Epoll epoll = Epoll.TryCreate(out Errno errno) ?? throw new InvalidOperationException(errno.Describe());
        using var events = new EpollEvents(8);
        using var a = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        using var b = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        a.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        b.Connect(a.LocalEndPoint!);
        const ulong Data = 0x1122334455667788;
        Assert.Equal(Errno.Success, epoll.Add((int)a.Handle, EpollFlags.In, Data));

        Assert.Equal(0, epoll.Wait(events, 0).Int);
        b.Send([1, 2, 3]);
        SysResult n = epoll.Wait(events, 5000);
        Assert.Equal(1, n.Int);
        Assert.Equal(Data, events.DataAt(0));
        Assert.NotEqual(0u, events.EventsAt(0) & EpollFlags.In);

        Assert.Equal(Errno.Success, epoll.Delete((int)a.Handle));
        Assert.Equal(0, epoll.Wait(events, 0).Int);
    }

    [Fact]
    public async Task A_wake_from_another_thread_ends_the_wait()
    {
        using Epoll epoll = Epoll.TryCreate(out Errno errno) ?? throw new InvalidOperationException(errno.Describe());
        using var events = new EpollEvents(4);
        var woken = Task.Run(() => epoll.Wait(events, 10_000));
        epoll.Wake();
        SysResult n = await woken.WaitAsync(TimeSpan.FromSeconds(5));
        Assert.Equal(1, n.Int);
        Assert.Equal(Epoll.WakeData, events.DataAt(0));
    }

    [Fact]
    public void A_bad_descriptor_is_an_errno_and_a_wake_after_dispose_does_nothing()
    {
        Epoll epoll = Epoll.TryCreate(out Errno errno) ?? throw new InvalidOperationException(errno.Describe());
        Assert.Equal(Errno.EBADF, epoll.Add(-1, EpollFlags.In, 1));
        epoll.Dispose();
        epoll.Wake();
    }

    [Fact]
    public void The_event_layout_is_this_architectures()
    {
        bool packed = RuntimeInformation.ProcessArchitecture is Architecture.X64 or Architecture.X86;
        Assert.Equal(packed ? 12 : 16, EpollEventLayout.Size);
        Assert.Equal(packed ? 4 : 8, EpollEventLayout.DataOffset);
        Assert.True(EpollEventLayout.IsPacked(Architecture.X64));
        Assert.False(EpollEventLayout.IsPacked(Architecture.Arm64));
    }

    /// <summary>The layout against the C compiler's view of struct epoll_event on this machine.</summary>
    [Fact]
    public void The_event_layout_matches_the_c_headers()
    {
        string dir = Directory.CreateTempSubdirectory("mmproxy-epoll-").FullName;
        try
        {
            string source = Path.Combine(dir, "layout.c");
            string program = Path.Combine(dir, "layout");
            File.WriteAllText(source, "#include <stdio.h>\n#include <stddef.h>\n#include <sys/epoll.h>\n" +
                "int main(void) { printf(\"%zu %zu\\n\", sizeof(struct epoll_event), offsetof(struct epoll_event, data)); return 0; }\n");
            Assert.Equal(string.Empty, Run("cc", $"-o {program} {source}"));
            string[] printed = Run(program, string.Empty).Trim().Split(' ');
            Assert.Equal(printed[0], EpollEventLayout.Size.ToString(System.Globalization.CultureInfo.InvariantCulture));
            Assert.Equal(printed[1], EpollEventLayout.DataOffset.ToString(System.Globalization.CultureInfo.InvariantCulture));
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    [Fact]
    public async Task Errno_is_read_right_after_each_call_under_repetition()
    {
        // EAGAIN from an empty non-blocking socket, many times over (tiered compilation replaces the
        // stubs meanwhile): the errno must be the call's own every time.
        SysResult created = RawSocket.Create(AddressFamily.InterNetwork, SocketType.Dgram);
        Assert.True(created.Succeeded);
        try
        {
            Assert.Equal(Errno.Success, RawSocket.Bind(created.Int, NativeSocketAddress.FromIPEndPoint(new IPEndPoint(IPAddress.Loopback, 0))));
            byte[] buffer = new byte[16];
            // Another thread allocates meanwhile, so collections (and their suspensions) happen between calls.
            using var stop = new CancellationTokenSource();
            Task churn = Task.Run(() =>
            {
                while (!stop.IsCancellationRequested)
                {
                    GC.KeepAlive(new byte[4096]);
                }
            });
            int collections = GC.CollectionCount(0);
            for (int i = 0; i < 200_000; i++)
            {
                SysResult read = RawSocket.Receive(created.Int, buffer);
                Assert.Equal(Errno.EAGAIN, read.Error);
                GC.KeepAlive(new byte[64]);
                if (i % 1000 == 0)
                {
                    Assert.Equal(Errno.EBADF, Descriptor.Close(-1));
                }
            }

            stop.Cancel();
            await churn;
            Assert.True(GC.CollectionCount(0) > collections, "no collection happened during the calls");
        }
        finally
        {
            _ = Descriptor.Close(created.Int);
        }
    }

    private static string Run(string file, string arguments)
    {
        using var process = Process.Start(new ProcessStartInfo(file, arguments) { RedirectStandardOutput = true, RedirectStandardError = true })!;
        string output = process.StandardOutput.ReadToEnd() + process.StandardError.ReadToEnd();
        Assert.True(process.WaitForExit(60_000), file + " did not finish");
        Assert.True(process.ExitCode == 0, $"{file} {arguments}: exit {process.ExitCode}: {output}");
        return output;
    }
}
