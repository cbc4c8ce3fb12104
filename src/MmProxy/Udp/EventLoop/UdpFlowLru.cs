namespace MmProxy.Udp.EventLoop;

/// <summary>
/// The loop's flows from least to most recently active (intrusive, O(1) each way): activity moves a
/// flow to the tail, so the head always has the earliest expiry deadline and the loop's epoll
/// timeout is the head's remaining idle time. No timer objects.
/// </summary>
internal sealed class UdpFlowLru
{
    public UdpLoopFlow? Head { get; private set; }

    public UdpLoopFlow? Tail { get; private set; }

    public int Count { get; private set; }

    public void Append(UdpLoopFlow flow)
    {
        ArgumentNullException.ThrowIfNull(flow);
        flow.Previous = Tail;
        flow.Next = null;
        if (Tail is null)
        {
            Head = flow;
        }
        else
        {
            Tail.Next = flow;
        }

        Tail = flow;
        flow.InList = true;
        Count++;
    }

    /// <summary>Marks activity: the flow moves to the tail (most recent).</summary>
    public void MoveToTail(UdpLoopFlow flow)
    {
        ArgumentNullException.ThrowIfNull(flow);
        if (ReferenceEquals(Tail, flow) || !flow.InList)
        {
            return;
        }

        Remove(flow);
        Append(flow);
    }

    public void Remove(UdpLoopFlow flow)
    {
        ArgumentNullException.ThrowIfNull(flow);
        if (!flow.InList)
        {
            return;
        }

        if (flow.Previous is null)
        {
            Head = flow.Next;
        }
        else
        {
            flow.Previous.Next = flow.Next;
        }

        if (flow.Next is null)
        {
            Tail = flow.Previous;
        }
        else
        {
            flow.Next.Previous = flow.Previous;
        }

        flow.Previous = null;
        flow.Next = null;
        flow.InList = false;
        Count--;
    }
}
